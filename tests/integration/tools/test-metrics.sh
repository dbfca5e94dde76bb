#!/bin/bash
# vigilctl metrics and vigil-exporter against the real vrrpd and checkerd on a
# private bus (issue 12): the text parses with prometheus_client's parser and
# carries the expected series and values; ipvsd (no IPVS on this host) and a
# stopped checkerd show as vigil_up 0 with no series of their own; the
# exporter, unprivileged, serves a cached text (no bus reads per scrape) and
# survives a flood of 1000 concurrent connections within a memory bound.
TEST_NAME=test-metrics
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_root
require_cmd curl setpriv busctl
PY=/usr/bin/python3   # Debian's, with python3-prometheus-client (the pyenv one lacks it)
HERE=$VIGIL_SOURCE_ROOT/tests/integration/tools
CHECK="$PY $HERE/test-metrics-check.py"
EXPORTER=$VIGIL_BUILD_ROOT/tools/exporter/vigil-exporter
for b in "$EXPORTER" "$VRRPD" "$CHECKERD" "$VIGILCTL"; do [ -x "$b" ] || fail "$b not built"; done
$PY -c 'import prometheus_client.parser' || fail "python3-prometheus-client missing"
RSS_MAX_KB=${RSS_MAX_KB:-30720}
# AddressSanitizer's shadow memory and quarantine inflate RSS: the bound is for
# the production build; a sanitized one gets four times as much room.
ldd "$EXPORTER" | grep -q libasan && RSS_MAX_KB=$((RSS_MAX_KB * 4))

bus_start
ns=$(netns_add m)
veth_add "$ns" eth0 "$ns" eth1
ip -n "$ns" addr add 10.98.0.1/24 dev eth0

# a TCP listener for the up check (the down check's port has none)
ip netns exec "$ns" $PY -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7001)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' &
cleanup_add "kill $!"
wait_for 10 ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7001' || fail "TCP listener did not start"

cat > "$TEST_TMP/vigil.yaml" <<'YAML'
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 61
      priority: 120
      virtual_addresses: [10.98.0.100/32]
checks:
  chk_up: {type: tcp, address: 127.0.0.1, port: 7001, interval: 200ms, warmup: 1ms}
  chk_down: {type: tcp, address: 127.0.0.1, port: 7002, interval: 200ms, warmup: 1ms, timeout: 500ms}
YAML
VIGIL_STATE_DIR=$TEST_TMP/state-v daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$TEST_TMP/vigil.yaml"
VIGIL_STATE_DIR=$TEST_TMP/state-c daemon_start_ns "$ns" checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"
wait_for 15 bus_has_name org.vigil.Vrrp1 || fail "vrrpd did not start"
wait_for 15 bus_has_name org.vigil.Checker1 || fail "checkerd did not start"

# The exporter as nobody (it needs no privilege), in the namespace (its own loopback).
ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$EXPORTER" --listen 127.0.0.1:9650 --refresh 1s --timeout 1s --log-target=console --log-level=debug \
    >"$TEST_TMP/exporter.log" 2>&1 &
EXPORTER_PID=$!
cleanup_add "kill -9 $EXPORTER_PID"
wait_for 10 grep -q "Serving metrics on http://127.0.0.1:9650/metrics" "$TEST_TMP/exporter.log" || fail "exporter did not start"
[ "$(stat -c %u /proc/$EXPORTER_PID)" = "$(id -u nobody)" ] || fail "exporter is not running as nobody"
grep -q '^CapEff:.*0000000000000000' /proc/$EXPORTER_PID/status || fail "exporter has capabilities: $(grep Cap /proc/$EXPORTER_PID/status)"

scrape() { ip netns exec "$ns" curl -sS --max-time 5 -o "$1" -w '%{http_code} %{content_type}' http://127.0.0.1:9650/metrics; }
ready() {
    [ "$(scrape "$TEST_TMP/s.txt" | cut -d' ' -f1)" = 200 ] &&
        grep -q '^vigil_vrrp_state{instance="VI_1",state="master"} 1$' "$TEST_TMP/s.txt" &&
        grep -q '^vigil_check_up{check="chk_up"' "$TEST_TMP/s.txt" &&
        grep -q '^vigil_check_up{check="chk_down"' "$TEST_TMP/s.txt"
}
wait_for 20 ready || fail "exporter never showed VI_1 master and both checks decided: $(cat "$TEST_TMP/s.txt")"
out=$(scrape "$TEST_TMP/exp.txt")
assert_contains "$out" "200 text/plain; version=0.0.4" "HTTP status and content type"

$CHECK "$TEST_TMP/exp.txt" \
    'vigil_up{daemon="vrrpd"} 1' 'vigil_up{daemon="checkerd"} 1' 'vigil_up{daemon="ipvsd"} 0' \
    'vigil_vrrp_state{instance="VI_1",state="master"} 1' 'vigil_vrrp_state{instance="VI_1",state="backup"} 0' \
    'vigil_vrrp_state{instance="VI_1",state="init"} 0' 'vigil_vrrp_state{instance="VI_1",state="fault"} 0' \
    'vigil_vrrp_priority{instance="VI_1"} 120' 'vigil_vrrp_effective_priority{instance="VI_1"} 120' \
    'vigil_vrrp_transitions_total{instance="VI_1",to="master"} 1' \
    'vigil_vrrp_receive_errors_total{instance="VI_1",reason="ttl_error"} 0' \
    'vigil_check_up{check="chk_up",type="tcp",target="127.0.0.1:7001"} 1' \
    'vigil_check_up{check="chk_down",type="tcp",target="127.0.0.1:7002"} 0' \
    'vigil_check_state{check="chk_down",state="down"} 1' 'vigil_check_state{check="chk_up",state="unknown"} 0' \
    'vigil_check_failures_total{check="chk_up"} 0' 'vigil_checker_checks 2' \
    '!~vigil_ipvs_' || fail "exporter output"
# counters that must have moved (values vary): adverts sent as master, probes run, failures of the down check
for re in '^vigil_vrrp_adverts_sent_total\{instance="VI_1"\} [1-9][0-9]*$' \
          '^vigil_check_runs_total\{check="chk_up"\} [1-9][0-9]*$' \
          '^vigil_check_failures_total\{check="chk_down"\} [1-9][0-9]*$' \
          '^vigil_vrrp_last_transition_timestamp_seconds\{instance="VI_1"\} 1[0-9]{9}\.[0-9]{6}$'; do
    grep -qE "$re" "$TEST_TMP/exp.txt" || fail "no line matching $re in: $(grep -vE '^#|receive_errors' "$TEST_TMP/exp.txt")"
done
log "exporter: $(grep -vc '^#' "$TEST_TMP/exp.txt") series, parsed and checked"

# vigilctl metrics: same series, same states, parses
"$VIGILCTL" metrics > "$TEST_TMP/ctl.txt" || fail "vigilctl metrics failed"
$CHECK "$TEST_TMP/ctl.txt" 'vigil_up{daemon="ipvsd"} 0' 'vigil_vrrp_state{instance="VI_1",state="master"} 1' || fail "vigilctl metrics output"
$CHECK --same "$TEST_TMP/exp.txt" "$TEST_TMP/ctl.txt" --equal vigil_up vigil_vrrp_state vigil_vrrp_priority \
    vigil_check_up vigil_check_state vigil_checker_checks vigil_vrrp_transitions_total || fail "vigilctl and the exporter disagree"
"$VIGILCTL" metrics --timeout nonsense >/dev/null 2>"$TEST_TMP/err" && fail "vigilctl metrics accepted a bad --timeout"
assert_contains "$(cat "$TEST_TMP/err")" "--timeout: invalid duration 'nonsense'" "bad --timeout message"

# Cached: scrapes do not cause bus reads. 40 scrapes as fast as possible;
# the collections meanwhile (debug log) follow the 1 s refresh, not the scrapes.
c0=$(grep -c "Collected in" "$TEST_TMP/exporter.log")
t0=$(now_ns)
for i in $(seq 1 40); do scrape "$TEST_TMP/c.txt" >/dev/null || fail "scrape $i"; done
elapsed_ms=$(( ($(now_ns) - t0) / 1000000 ))
c1=$(grep -c "Collected in" "$TEST_TMP/exporter.log")
log "40 scrapes in ${elapsed_ms} ms caused $((c1 - c0)) collections (refresh 1 s)"
[ $((c1 - c0)) -le $((elapsed_ms / 1000 + 2)) ] || fail "$((c1 - c0)) collections during 40 scrapes in ${elapsed_ms} ms: not cached"
t3=$(grep '^vigil_metrics_collected_timestamp_seconds ' "$TEST_TMP/c.txt")
[ -n "$t3" ] || fail "no collection timestamp"
sleep 2.5
scrape "$TEST_TMP/c4.txt" >/dev/null
[ "$(grep '^vigil_metrics_collected_timestamp_seconds ' "$TEST_TMP/c4.txt")" != "$t3" ] || fail "the cache was not refreshed after --refresh"

# Other paths and methods
assert_eq "$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9650/nope)" 404 "unknown path"
assert_eq "$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9650/metrics)" 405 "POST"

# Flood: 1000 concurrent connections, bounded to 30 s; peak RSS stays bounded, it still answers.
hwm0=$(awk '/^VmHWM/ {print $2}' /proc/$EXPORTER_PID/status)
res=$(ip netns exec "$ns" $PY "$HERE/test-metrics-flood.py" 127.0.0.1 9650 1000 30) || fail "flood client failed"
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$EXPORTER_PID/status)
log "flood: $res; exporter peak RSS ${hwm0} kB before, ${hwm} kB after (bound ${RSS_MAX_KB} kB)"
kill -0 $EXPORTER_PID || fail "exporter died under the flood"
ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$res")
[ "${ok:-0}" -ge 100 ] || fail "too few scrapes answered during the flood: $res"
[ "$hwm" -le "$RSS_MAX_KB" ] || fail "exporter peak RSS $hwm kB above $RSS_MAX_KB kB"
wait_for 10 ready || fail "exporter does not answer after the flood"
# the daemons kept working during the flood: still master, checks still probed
$CHECK "$TEST_TMP/s.txt" 'vigil_vrrp_state{instance="VI_1",state="master"} 1' 'vigil_up{daemon="checkerd"} 1' || fail "after the flood"

# A hung daemon (SIGSTOP) never slows a scrape: the collection times out
# (--timeout 1s) in the background, scrapes keep getting the cache at once,
# then vigil_up says it is not answering; it comes back after SIGCONT.
kill -STOP "$vrrpd_PID"
cleanup_add "kill -CONT $vrrpd_PID"
slow=0
for i in $(seq 1 15); do
    t=$(ip netns exec "$ns" curl -s -o "$TEST_TMP/h.txt" -w '%{time_total}' --max-time 5 http://127.0.0.1:9650/metrics) || fail "scrape failed while vrrpd hangs"
    # a scrape that waited for the bus would take the 1 s --timeout
    awk -v t="$t" 'BEGIN {exit !(t > 0.8)}' && slow=$((slow + 1))
    sleep 0.2
done
[ $slow -eq 0 ] || fail "$slow scrapes took over 0.8 s while vrrpd hangs"
hung() { scrape "$TEST_TMP/h.txt" >/dev/null && grep -q '^vigil_up{daemon="vrrpd"} 0$' "$TEST_TMP/h.txt"; }
wait_for 10 hung || fail "a hung vrrpd still shows as up"
$CHECK "$TEST_TMP/h.txt" '!~vigil_vrrp_' 'vigil_up{daemon="checkerd"} 1' || fail "with vrrpd hung"
kill -CONT "$vrrpd_PID"
wait_for 10 ready || fail "vrrpd's metrics did not come back after SIGCONT"

# A daemon that goes away: vigil_up 0 and its series disappear (no stale values).
kill "$checkerd_PID"
wait_for 10 bash -c "! $BUSCTL --list --no-legend | awk '{print \$1}' | grep -qx org.vigil.Checker1" || fail "checkerd did not exit"
gone() { scrape "$TEST_TMP/g.txt" >/dev/null && grep -q '^vigil_up{daemon="checkerd"} 0$' "$TEST_TMP/g.txt"; }
wait_for 10 gone || fail "exporter still shows checkerd up: $(grep vigil_up "$TEST_TMP/g.txt")"
$CHECK "$TEST_TMP/g.txt" 'vigil_up{daemon="vrrpd"} 1' '!~vigil_check_' '!~vigil_checker_' \
    'vigil_vrrp_state{instance="VI_1",state="master"} 1' || fail "after checkerd stopped"
"$VIGILCTL" metrics > "$TEST_TMP/ctl2.txt" || fail "vigilctl metrics with checkerd stopped"
$CHECK "$TEST_TMP/ctl2.txt" 'vigil_up{daemon="checkerd"} 0' '!~vigil_check_' || fail "vigilctl metrics after checkerd stopped"

# Many objects: more GetAll calls than dbus-daemon lets one connection have
# pending (the collector keeps a bounded window in flight).
{ echo "checks:"; for i in $(seq 1 300); do echo "  many_$i: {type: tcp, address: 127.0.0.1, port: $((7100 + i)), interval: 1h, warmup: 1ms}"; done; } > "$TEST_TMP/many.yaml"
VIGIL_STATE_DIR=$TEST_TMP/state-c2 daemon_start_ns "$ns" checkerd2 "$CHECKERD" -c "$TEST_TMP/many.yaml"
wait_for 15 bus_has_name org.vigil.Checker1 || fail "checkerd (300 checks) did not start"
"$VIGILCTL" metrics > "$TEST_TMP/many.txt" 2>"$TEST_TMP/many.err" || fail "vigilctl metrics with 300 checks"
[ ! -s "$TEST_TMP/many.err" ] || fail "vigilctl metrics complained: $(head -3 "$TEST_TMP/many.err")"
$CHECK "$TEST_TMP/many.txt" 'vigil_checker_checks 300' 'vigil_check_weight{check="many_300"} 0' || fail "300 checks"
assert_eq "$(grep -c '^vigil_check_weight{' "$TEST_TMP/many.txt")" 300 "one weight series per check"

# Bad options: clear errors, non-zero exit
out=$("$EXPORTER" --listen 127.0.0.1 2>&1) && fail "exporter accepted --listen without a port"
assert_contains "$out" "--listen: '127.0.0.1' is not ADDRESS:PORT" "bad --listen"
out=$("$EXPORTER" --refresh 0 2>&1) && fail "exporter accepted --refresh 0"
assert_contains "$out" "--refresh: invalid duration '0'" "bad --refresh"

kill -TERM $EXPORTER_PID
wait $EXPORTER_PID; rc=$?
assert_eq "$rc" 0 "exporter exit status on SIGTERM"

# The bus goes away (dbus restarted): the exporter exits with a failure (the
# unit restarts it on a fresh connection) instead of serving stale data.
ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXPORTER" --listen 127.0.0.1:9651 \
    --log-target=console >"$TEST_TMP/exporter2.log" 2>&1 &
EXPORTER2_PID=$!
cleanup_add "kill -9 $EXPORTER2_PID"
wait_for 10 grep -q "Serving metrics" "$TEST_TMP/exporter2.log" || fail "second exporter did not start"
kill "$BUS_PID"
wait_for 10 bash -c "! kill -0 $EXPORTER2_PID" || fail "exporter still running after the bus went away"
wait $EXPORTER2_PID; rc=$?
[ "$rc" -ne 0 ] || fail "exporter exited 0 after losing the bus"
assert_contains "$(cat "$TEST_TMP/exporter2.log")" "The system bus connection was lost" "bus loss message"
log "OK"
