#!/bin/bash
# vm-smoke: host-side checks of tests/vm/run (exit status, streaming, share).
set -u
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
tree=$(cd "$here/../../.." && pwd -P)
run=$tree/tests/vm/run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; rm -f "$tree/tests/vm/selftest/.smoke-out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

export VIGIL_VM_SMOKE="a b 'c'" VIGIL_VM_SMOKE_FILE=$tree/tests/vm/selftest/.smoke-out
export VM_PASS_ENV="VIGIL_VM_SMOKE VIGIL_VM_SMOKE_FILE VIGIL_VM_SMOKE_RC"

# 1. a passing script; output on stdout, status 0, wrote to the share
VIGIL_VM_SMOKE_RC=0 "$run" "$here/guest-smoke.sh" "$tree" "two words" "it's" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"
[ $rc = 77 ] && { cat "$tmp/err"; exit 77; }
[ $rc = 0 ] || { cat "$tmp/err"; fail "run exited $rc, want 0"; }
grep -q '^guest: ok$' "$tmp/out" || fail "no 'guest: ok' in the output"
grep -q '^guest: stderr line$' "$tmp/out" || fail "the script's stderr did not reach us"
grep -q 'VIGIL-VM\|Linux version\|reboot:' "$tmp/out" && fail "kernel or harness noise in the output"
[ "$(cat "$VIGIL_VM_SMOKE_FILE" 2>/dev/null)" = "written by the guest" ] || fail "guest write did not reach the host"

# 2. the exit status propagates
VIGIL_VM_SMOKE_RC=3 "$run" "$here/guest-smoke.sh" "$tree" "two words" "it's" >"$tmp/out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$tmp/out"; fail "run exited $rc, want 3"; }

# 3. a script outside the tree, not executable, without a shebang, is run with sh
printf 'echo outside; exit 5\n' >"$tmp/outside.sh"
"$run" "$tmp/outside.sh" >"$tmp/out" 2>&1
rc=$?
[ $rc = 5 ] && grep -q '^outside$' "$tmp/out" || { cat "$tmp/out"; fail "outside script: status $rc"; }

# 4. output is streamed while the guest runs (not only at exit)
printf 'echo early\nsleep 3\necho late\n' >"$tmp/stream.sh"
"$run" "$tmp/stream.sh" 2>/dev/null | while IFS= read -r l; do
	echo "$(date +%s.%N) $l"
done >"$tmp/times"
t1=$(awk '$2 == "early" { print $1 }' "$tmp/times")
t2=$(awk '$2 == "late" { print $1 }' "$tmp/times")
[ -n "$t1" ] && [ -n "$t2" ] || { cat "$tmp/times"; fail "stream test output missing"; }
awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a > 2) }' || fail "output was not streamed (early at $t1, late at $t2)"

# 5. timeout
VM_TIMEOUT=2 "$run" "$tmp/stream.sh" >"$tmp/out" 2>&1
rc=$?
[ $rc = 124 ] || { cat "$tmp/out"; fail "timeout: status $rc, want 124"; }
echo "vm-smoke: ok"
