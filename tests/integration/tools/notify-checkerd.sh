#!/bin/bash
# vigil-notify end to end with the real vigil-checkerd (private bus): an exec
# check that follows a flag file goes down and up, and vigil-notify runs
# notify_down / notify_up and the generic script ("CHECK name DOWN|UP 0") in
# the order checkerd numbered the changes.
TEST_NAME=notify-checkerd
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_root   # as checkerd's own tests run it

NOTIFY=$VIGIL_BUILD_ROOT/tools/notify/vigil-notify
[ -x "$NOTIFY" ] || fail "$NOTIFY not built"
[ -x "$CHECKERD" ] || fail "$CHECKERD not built"

bus_start
RUNS=$TEST_TMP/runs.log
: > "$RUNS"
cat > "$TEST_TMP/rec.sh" <<SH
#!/bin/sh
echo "\$VIGIL_NOTIFY_SEQ \$*" >> "$RUNS"
SH
cat > "$TEST_TMP/flag.sh" <<SH
#!/bin/sh
test -f "$TEST_TMP/flag"
SH
chmod +x "$TEST_TMP"/*.sh
cat > "$TEST_TMP/vigil.yaml" <<YAML
checks:
  chk_flag: {type: exec, command: [$TEST_TMP/flag.sh], interval: 200ms, warmup: 1ms, timeout: 2s}
notify:
  - check: chk_flag
    notify_up: [$TEST_TMP/rec.sh, notify_up]
    notify_down: [$TEST_TMP/rec.sh, notify_down]
    notify: [$TEST_TMP/rec.sh, generic]
    timeout: 5s
YAML

daemon_start notify "$NOTIFY" -c "$TEST_TMP/vigil.yaml"
wait_for 5 grep -q started "$TEST_TMP/notify.log" || fail "vigil-notify did not start"
daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"

wait_for 10 grep -q "generic CHECK chk_flag DOWN 0" "$RUNS" || fail "no DOWN notify: $(cat "$RUNS"); $(tail -3 "$TEST_TMP/checkerd.log")"
touch "$TEST_TMP/flag"
wait_for 10 grep -q "^[1-9][0-9]* generic CHECK chk_flag UP 0" "$RUNS" || fail "no UP notify: $(cat "$RUNS")"
rm -f "$TEST_TMP/flag"
wait_for 10 bash -c "[ \$(grep -c 'generic CHECK chk_flag DOWN 0' '$RUNS') -ge 2 ]" || fail "no second DOWN notify: $(cat "$RUNS")"
sleep 0.3
# checkerd starts a check as up (keepalived's behaviour): depending on when
# vigil-notify reads the state, a replayed UP (seq 0) comes first. After it:
# down, up, down; each change runs the specific script, then the generic one.
states=$(awk '$2 == "generic" { if (!($1 == 0 && $5 == "UP" && NR <= 2)) printf "%s ", $5 }' "$RUNS")
assert_eq "$states" "DOWN UP DOWN " "states notified: $(tr '\n' ';' < "$RUNS")"
specific=$(awk '$2 != "generic" { printf "%s ", $2 }' "$RUNS" | sed 's/^notify_up //')
assert_eq "$specific" "notify_down notify_up notify_down " "specific scripts"
awk '{ if ($1 + 0 < prev) { print "seq " $1 " after " prev; exit 1 } prev = $1 + 0 }' "$RUNS" || fail "out of sequence order: $(cat "$RUNS")"
log "check down/up/down: $(tr '\n' ';' < "$RUNS")"
log "PASS"
