#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigil-checkerd on a private bus against real local services (python3
# backends on loopback): tcp, http (status, digest, garbage, endless body,
# slow trickle, hang = timeout), exec (exit codes, dynamic weight, timeout),
# fall/rise asserted from StateChanged signals, shared probes (one request
# on the wire for two identical checks), RunFence, EMFILE = unknown (not
# down), reload keeping state, and a missing exec command refused at load.
#
# Checks are driven step by step with RunNow (interval 1h, warmup 1ms: one
# automatic run at start), so every fall/rise count is exact.
. "${VIGIL_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}/tests/integration/common/lib.sh"
require_root
require_cmd python3 busctl prlimit
HERE=$VIGIL_SOURCE_ROOT/tests/integration/checker
bus_start

BASE=$(( 20000 + RANDOM % 20000 ))
P_HTTP=$BASE P_TCP=$((BASE+1)) P_HANG=$((BASE+2)) P_GARB=$((BASE+3)) P_ENDLESS=$((BASE+4))
P_TRICKLE=$((BASE+5)) P_DEDUP=$((BASE+6))
B=$TEST_TMP/backends
mkdir -p "$B"
python3 "$HERE/backends.py" "$B" http:$P_HTTP hang:$P_HANG garbage:$P_GARB endless:$P_ENDLESS \
        trickle:$P_TRICKLE http:$P_DEDUP >"$TEST_TMP/backends.log" 2>&1 &
cleanup_add "kill $!"
start_tcp_backend() {
    mkdir -p "$B/tcp"
    rm -f "$B/tcp/ready"
    python3 "$HERE/backends.py" "$B/tcp" http:$P_TCP >>"$TEST_TMP/backends.log" 2>&1 &
    TCP_PID=$!
    cleanup_add "kill $TCP_PID"
    wait_for 30 test -f "$B/tcp/ready" || fail "tcp backend did not start"
}
start_tcp_backend
wait_for 30 test -f "$B/ready" || fail "backends did not start"

printf 'ok\n' > "$B/body-$P_HTTP"
OK_MD5=$(md5sum < "$B/body-$P_HTTP" | cut -d' ' -f1)
cat > "$TEST_TMP/chk.sh" <<SH
#!/bin/sh
echo "chk.sh says hello"
echo "to stderr" >&2
[ -f "$B/sleep" ] && sleep \$(cat "$B/sleep")
exit \$(cat "$B/exit" 2>/dev/null || echo 0)
SH
chmod +x "$TEST_TMP/chk.sh"

STEP="interval: 1h, warmup: 1ms"
cat > "$TEST_TMP/vigil.yaml" <<YAML
checks:
  http_main: {type: http, address: 127.0.0.1, port: $P_HTTP, path: /main, status: [200], digest: "$OK_MD5", fall: 3, rise: 2, $STEP}
  tcp_main: {type: tcp, address: 127.0.0.1, port: $P_TCP, $STEP}
  exec_dyn: {type: exec, command: [$TEST_TMP/chk.sh, arg1], dynamic: true, weight: 10, timeout: 1s, $STEP}
  http_hang: {type: http, address: 127.0.0.1, port: $P_HANG, timeout: 300ms, $STEP}
  http_garbage: {type: http, address: 127.0.0.1, port: $P_GARB, $STEP}
  http_endless: {type: http, address: 127.0.0.1, port: $P_ENDLESS, digest: "$OK_MD5", max_body: 65536, timeout: 5s, $STEP}
  http_trickle: {type: http, address: 127.0.0.1, port: $P_TRICKLE, timeout: 700ms, $STEP}
  http_retry: {type: http, address: 127.0.0.1, port: $P_HANG, timeout: 100ms, retry: 2, delay_before_retry: 50ms, $STEP}
  dup_a: {type: http, address: 127.0.0.1, port: $P_DEDUP, path: /dedup, interval: 200ms}
  dup_b: {type: http, address: 127.0.0.1, port: $P_DEDUP, path: /dedup, interval: 200ms}
  fence_ok: {type: exec, command: [/bin/true], on_demand: true, timeout: 2s}
  fence_bad: {type: exec, command: [/bin/false], on_demand: true, timeout: 2s}
YAML

$BUSCTL --json=short monitor --match "type='signal',member='StateChanged'" >"$TEST_TMP/signals.json" 2>"$TEST_TMP/monitor.log" &
cleanup_add "kill $!"
sleep 0.3
daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"
wait_for 30 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its bus name"

enc() { python3 -c 'import sys; sys.argv.append(""); exec(open(sys.argv[1]).read().split("path = ")[0]); print(bus_path_encode("/org/vigil/Checker1/check", sys.argv[2]))' "$HERE/signals.py" "$1"; }
prop() { $BUSCTL get-property org.vigil.Checker1 "$(enc "$1")" org.vigil.Checker1.Check "$2" | cut -d' ' -f2- | tr -d '"'; }
counter() { $BUSCTL --json=short get-property org.vigil.Checker1 "$(enc "$1")" org.vigil.Checker1.Check Counters |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["data"].get(sys.argv[1], 0))' "$2"; }
# run NAME: RunNow, prints "state|detail"
run() { $BUSCTL --json=short call org.vigil.Checker1 "$(enc "$1")" org.vigil.Checker1.Check RunNow |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d[0] + "|" + d[1])'; }
expect_run() { local got; got=$(run "$1"); [[ "$got" == $2 ]] || fail "$1 RunNow: expected '$2', got '$got'"; log "$1: $got"; }
transitions() { sleep 0.2; python3 "$HERE/signals.py" "$TEST_TMP/signals.json" "$1" | tr '\n' ' ' | sed 's/ $//'; }
# predicates for wait_for: the $(...) must run on every poll, not once when wait_for is called
prop_is() { [ "$(prop "$1" "$2" 2>/dev/null)" = "$3" ]; }
counter_ge() { [ "$(counter "$1" "$2" 2>/dev/null)" -ge "$3" ] 2>/dev/null; }

# Every check had its automatic first run.
for c in http_main tcp_main exec_dyn; do
    wait_for 5 counter_ge $c runs 1 || fail "$c never ran"
done
assert_eq "$(prop http_main State)" up "http_main initial"
assert_eq "$(prop http_main Type)" http "Type"
assert_eq "$(prop http_main Target)" "127.0.0.1:$P_HTTP" "Target"
$BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager ListChecks | grep -q '"http_main"' \
    || fail "ListChecks does not list http_main"

log "http: fall 3, rise 2"
echo 503 > "$B/status-$P_HTTP"
expect_run http_main 'up|HTTP status 503'
expect_run http_main 'up|HTTP status 503'
expect_run http_main 'down|HTTP status 503'
assert_eq "$(prop http_main LastError)" "HTTP status 503" LastError
echo 200 > "$B/status-$P_HTTP"
expect_run http_main 'down|*body ok'
expect_run http_main 'up|*body ok'
log "http: digest mismatch"
echo changed > "$B/body-$P_HTTP"
expect_run http_main 'up|body digest *'
expect_run http_main 'up|body digest *'
expect_run http_main 'down|body digest *, expected '"$OK_MD5"
printf 'ok\n' > "$B/body-$P_HTTP"
expect_run http_main 'down|*'
expect_run http_main 'up|*'
assert_eq "$(transitions http_main)" "up>down down>up up>down down>up" "http_main StateChanged"
grep -q "/main 127.0.0.1:$P_HTTP" "$B/requests-$P_HTTP" || fail "Host header/path not as configured"

log "tcp: refused, then back"
expect_run tcp_main 'up|connected'
kill $TCP_PID; wait $TCP_PID 2>/dev/null
expect_run tcp_main 'down|connect: Connection refused'
start_tcp_backend
expect_run tcp_main 'up|connected'
assert_eq "$(transitions tcp_main)" "up>down down>up" "tcp_main StateChanged"

log "exec: exit codes and dynamic weight"
expect_run exec_dyn 'up|exit status 0'
assert_eq "$(prop exec_dyn Weight)" 10 "configured weight"
echo 7 > "$B/exit"
expect_run exec_dyn 'up|exit status 7 (weight 5)'
assert_eq "$(prop exec_dyn Weight)" 5 "dynamic weight"
echo 1 > "$B/exit"
expect_run exec_dyn 'down|exit status 1'
echo 0 > "$B/exit"; echo 5.4321 > "$B/sleep"
expect_run exec_dyn 'down|timeout after 1s'
rm -f "$B/sleep"
expect_run exec_dyn 'up|exit status 0'
assert_eq "$(transitions exec_dyn)" "up>down down>up" "exec_dyn StateChanged"
grep -q 'chk.sh says hello' "$TEST_TMP/checkerd.log" || fail "exec stdout not logged"
grep -q 'to stderr' "$TEST_TMP/checkerd.log" || fail "exec stderr not logged"
# the whole process group was killed: neither the script nor its sleep survive
pgrep -f "sleep 5.4321" >/dev/null && fail "the timed-out command's child is still running"
pgrep -f "$TEST_TMP/chk.sh" >/dev/null && fail "the timed-out command is still running"

log "bad backends: hang, garbage, endless body, trickle, retries"
expect_run http_hang 'down|timeout after 300ms'
expect_run http_garbage 'down|bad HTTP response: malformed status line*'
RSS0=$(awk '/VmRSS/ {print $2}' /proc/$checkerd_PID/status)
for i in 1 2 3; do expect_run http_endless 'down|bad HTTP response: body larger than max_body'; done
RSS1=$(awk '/VmRSS/ {print $2}' /proc/$checkerd_PID/status)
[ $((RSS1 - RSS0)) -lt 4096 ] || fail "RSS grew from $RSS0 to $RSS1 kB on an endless body"
T0=$(date +%s%N)
expect_run http_trickle 'down|timeout after 700ms'
T1=$(date +%s%N)
[ $(( (T1 - T0) / 1000000 )) -lt 4000 ] || fail "trickle took $(( (T1 - T0) / 1000000 )) ms"
R0=$(counter http_retry retries)
expect_run http_retry 'down|timeout after 100ms'
assert_eq "$(( $(counter http_retry retries) - R0 ))" 2 "retries per run"
# the loop stayed responsive throughout
$BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Version >/dev/null || fail "daemon stuck"

log "shared probe: two identical checks, one request on the wire"
assert_eq "$(prop dup_a Shared)" true "dup_a shared"
assert_eq "$(prop dup_b Shared)" true "dup_b shared"
assert_eq "$(prop http_main Shared)" false "http_main not shared"
: > "$B/requests-$P_DEDUP"
sleep 3
N=$(grep -c '^/dedup' "$B/requests-$P_DEDUP")
log "dedup: $N requests in 3 s at 200ms interval"
[ "$N" -ge 10 ] && [ "$N" -le 18 ] || fail "expected ~15 requests for one shared probe, got $N"
STATS=$($BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Stats)
assert_contains "$STATS" '"checks" 12 "probes" 11' "Manager Stats"

log "RunFence"
assert_eq "$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager RunFence s fence_ok)" \
          'bs true "exit status 0"' "fence_ok"
assert_eq "$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager RunFence s fence_bad)" \
          'bs false "exit status 1"' "fence_bad"
OUT=$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager RunFence s http_main 2>&1) \
    && fail "RunFence on an http check succeeded"
assert_contains "$OUT" "not an exec check with on_demand" "RunFence error"
OUT=$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager RunFence s nope 2>&1) \
    && fail "RunFence on a missing check succeeded"
assert_contains "$OUT" "no such check" "RunFence error"

log "EMFILE: unknown, not down, and no flap"
# dup_a runs every 200 ms on its own: starve the daemon of descriptors (the
# bus calls would fail too, so only read state once the limit is back).
assert_eq "$(prop dup_a State)" up "dup_a before EMFILE"
SOFT=$(prlimit --pid $checkerd_PID --nofile --raw --noheadings -o SOFT)
# the lowest free descriptor number: with the soft limit there, socket() fails.
# A probe socket open while we look frees a lower number when it closes, and
# the next probe gets it: look again (the limit only goes down) until it bites.
R=1
for attempt in 1 2 3 4; do
    NFD=$(ls /proc/$checkerd_PID/fd | sort -n | awk 'BEGIN {n = 0} $1 == n {n++} END {print n}')
    prlimit --pid $checkerd_PID --nofile=$NFD: || fail "prlimit"
    if wait_for 3 grep -q "dup_a.*up → unknown: cannot run: Too many open files" "$TEST_TMP/checkerd.log"; then
        R=0
        break
    fi
done
prlimit --pid $checkerd_PID --nofile=$SOFT: || fail "prlimit"
[ $R = 0 ] || fail "dup_a did not become unknown under EMFILE"
# (generous: the sanitizer build on a loaded machine is slow, and each poll
# runs python3 + busctl)
if ! wait_for 20 prop_is dup_a State up; then
    log "dup_a: State=$(prop dup_a State) LastError=$(prop dup_a LastError)"
    $BUSCTL --json=short get-property org.vigil.Checker1 "$(enc dup_a)" org.vigil.Checker1.Check Counters >&2
    grep "dup_a\|Too many\|ERROR\|Sanitizer\|runtime error" "$TEST_TMP/checkerd.log" | tail -n 20 >&2
    fail "dup_a did not come back up"
fi
assert_eq "$(transitions dup_a)" "up>unknown unknown>up" "dup_a StateChanged under EMFILE"
assert_eq "$(counter dup_a down)" 0 "dup_a failed attempts"

log "reload keeps unchanged checks"
RUNS=$(counter http_main runs)
BEFORE=$(python3 "$HERE/signals.py" "$TEST_TMP/signals.json" | wc -l)
sed -i 's/^  fence_bad:.*/&\n  added: {type: tcp, address: 127.0.0.1, port: '$P_TCP', '"$STEP"'}/' "$TEST_TMP/vigil.yaml"
sed -i '/^  http_garbage:/d' "$TEST_TMP/vigil.yaml"
$BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Reload || fail "Reload failed"
assert_eq "$(prop http_main State)" up "state after reload"
[ "$(counter http_main runs)" -ge "$RUNS" ] || fail "counters reset by reload"
wait_for 5 prop_is added State up || fail "added check did not come up"
prop http_garbage State >/dev/null 2>&1 && fail "removed check still on the bus"
AFTER=$(python3 "$HERE/signals.py" "$TEST_TMP/signals.json" | wc -l)
assert_eq "$AFTER" "$BEFORE" "StateChanged signals caused by the reload"
log "invalid reload is refused and the running config kept"
cp "$TEST_TMP/vigil.yaml" "$TEST_TMP/good.yaml"
echo "  broken: {type: exec, command: [/nonexistent/cmd]}" >> "$TEST_TMP/vigil.yaml"
OUT=$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Reload 2>&1) && fail "bad reload accepted"
assert_contains "$OUT" "vigil.yaml:" "reload error location"
assert_contains "$OUT" "/nonexistent/cmd" "reload error"
assert_eq "$(prop http_main State)" up "state after refused reload"

log "sequence numbers increase across all checks"
python3 "$HERE/signals.py" "$TEST_TMP/signals.json" >/dev/null || fail "StateChanged seq not increasing"

log "a missing exec command is a config error at load time"
cat > "$TEST_TMP/bad.yaml" <<YAML
checks:
  ok: {type: tcp, address: 127.0.0.1, port: $P_TCP}
  missing: {type: exec, command: [/nonexistent/chk_nginx.sh]}
YAML
set +e
DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS timeout 10 "$CHECKERD" --log-target=console -c "$TEST_TMP/bad.yaml" >"$TEST_TMP/bad.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "checkerd started with a missing exec command (rc $rc)"
grep -q "bad.yaml:3:[0-9]*: .*/nonexistent/chk_nginx.sh.*\(does not exist\|No such file\)" "$TEST_TMP/bad.log" \
    || { cat "$TEST_TMP/bad.log" >&2; fail "no file:line:col error for the missing command"; }

log "PASS"
