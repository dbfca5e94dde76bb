#!/bin/bash
# vigilctl ipvs import of a large table (issue 12, progress for long
# operations): on a terminal's stderr it shows its steps (reading with a
# percentage, parsing with elapsed time) and ends with a summary line; off a
# terminal it says nothing; the YAML is the same either way; an error clears
# the progress line before the message (FILE:LINE). Needs no daemon and no root.
TEST_NAME=test-status-progress
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_cmd script
[ -x "$VIGILCTL" ] || fail "$VIGILCTL not built"

# 2,000 services with 10 real servers each, as ipvsadm-save -n writes them.
save=$TEST_TMP/table.save
for ((s = 0; s < 2000; s++)); do
    a=10.$((s / 65536 % 256)).$((s / 256 % 256)).$((s % 256))
    echo "-A -t $a:80 -s wlc"
    for ((d = 0; d < 10; d++)); do echo "-a -t $a:80 -r 192.168.$d.$((s % 250 + 1)):80 -g -w 1"; done
done > "$save"

# Off a terminal: the YAML on stdout, nothing on stderr.
"$VIGILCTL" ipvs import "$save" >"$TEST_TMP/plain.yaml" 2>"$TEST_TMP/plain.err" || fail "import failed: $(cat "$TEST_TMP/plain.err")"
[ -s "$TEST_TMP/plain.err" ] && fail "progress off a terminal: $(cat "$TEST_TMP/plain.err")"
assert_eq "$(grep -c '^  - address: ' "$TEST_TMP/plain.yaml")" 2000 "services in the YAML"

# On a terminal (script(1) gives stderr a pty), the YAML to a file.
script -qec "'$VIGILCTL' ipvs import '$save' >'$TEST_TMP/tty.yaml'" "$TEST_TMP/tty.log" >/dev/null || fail "import on a TTY failed"
cmp -s "$TEST_TMP/plain.yaml" "$TEST_TMP/tty.yaml" || fail "the YAML differs with progress shown"
tty=$(tr '\r' '\n' < "$TEST_TMP/tty.log")
assert_contains "$tty" "Parsing 22000 lines of $save" "parsing step"
grep -qE $'^(\033\\[K)?'"Imported 2000 services with 20000 real servers from .*table\.save in [0-9]+\.[0-9]{2}s\.$" <<<"$tty" ||
    fail "no summary line: $tty"
grep -qE $'^\033\\[KReading .*table\\.save: [0-9.]+[KM]?B of [0-9.]+[KM]?B \\([0-9]+%\\)' <<<"$tty" || fail "no reading step: $tty"

# The YAML on the terminal too: no progress (it would mix with the YAML).
script -qec "'$VIGILCTL' ipvs import '$save'" "$TEST_TMP/tty2.log" >/dev/null || fail "import to a TTY failed"
grep -q "Parsing 22000" "$TEST_TMP/tty2.log" && fail "progress drawn over the YAML on a terminal"

# An error: the progress line is cleared, then FILE:LINE: message.
printf -- '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.2:80 -r 10.0.1.1:80 -g\n' > "$TEST_TMP/bad.save"
script -qec "'$VIGILCTL' ipvs import '$TEST_TMP/bad.save' >/dev/null" "$TEST_TMP/bad.log" >/dev/null && fail "a bad file was imported"
bad=$(tr '\r' '\n' < "$TEST_TMP/bad.log")
grep -qE $'^\033\\[Kvigilctl: .*bad\\.save:2: -a for a service not added before with -A' <<<"$bad" ||
    fail "error not on a cleared line: $(cat -v "$TEST_TMP/bad.log")"
log "PASS"
