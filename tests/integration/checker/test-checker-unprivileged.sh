#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigil-checkerd as an unprivileged user with no capabilities at all (as the
# unit runs it): tcp, http, ping (datagram ping socket, ping_group_range set
# in the namespace) and exec checks still work, and mutating bus methods are
# refused to an ordinary caller while root may use them.
. "${VIGIL_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}/tests/integration/common/lib.sh"
require_root
require_cmd python3 busctl setpriv
HERE=$VIGIL_SOURCE_ROOT/tests/integration/checker
bus_start
chmod 755 "$TEST_TMP"   # nobody must reach the bus socket and the config

NS=$(netns_add unpriv)
ip netns exec "$NS" sysctl -q -w net.ipv4.ping_group_range="65534 65534"
P=$(( 20000 + RANDOM % 20000 ))
B=$TEST_TMP/backends
mkdir -p "$B"
ip netns exec "$NS" python3 "$HERE/backends.py" "$B" http:$P >"$TEST_TMP/backends.log" 2>&1 &
cleanup_add "kill $!"
wait_for 30 test -f "$B/ready" || fail "backend did not start"

cat > "$TEST_TMP/vigil.yaml" <<YAML
checks:
  tcp: {type: tcp, address: 127.0.0.1, port: $P, interval: 300ms, warmup: 1ms}
  http: {type: http, address: 127.0.0.1, port: $P, interval: 300ms, warmup: 1ms}
  ping: {type: ping, address: 127.0.0.1, interval: 300ms, warmup: 1ms}
  exec: {type: exec, command: [/bin/true], interval: 300ms, warmup: 1ms}
  fence: {type: exec, command: [/bin/true], on_demand: true}
YAML
chmod 644 "$TEST_TMP/vigil.yaml"

UNPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)
# an ordinary local user, not the daemon's own (the daemons trust each other's users)
CALLER=(setpriv --reuid=daemon --regid=daemon --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)
ip netns exec "$NS" "${UNPRIV[@]}" "$CHECKERD" --log-target=console --log-level=debug -c "$TEST_TMP/vigil.yaml" \
    >"$TEST_TMP/checkerd.log" 2>&1 &
PID=$!
cleanup_add "kill -9 $PID"
wait_for 30 bus_has_name org.vigil.Checker1 || fail "checkerd did not start as nobody"

# it really is unprivileged (the process behind setpriv is checkerd itself: exec)
assert_eq "$(awk '/^Uid:/ {print $2}' /proc/$PID/status)" 65534 "uid"
assert_eq "$(awk '/^CapEff:/ {print $2}' /proc/$PID/status)" 0000000000000000 "effective capabilities"
assert_eq "$(awk '/^CapBnd:/ {print $2}' /proc/$PID/status)" 0000000000000000 "bounding set"

state() { $BUSCTL get-property org.vigil.Checker1 "/org/vigil/Checker1/check/$1" org.vigil.Checker1.Check State | cut -d'"' -f2; }
# a predicate for wait_for: the $(...) must run on every poll
state_is() { [ "$(state "$1")" = "$2" ]; }
for c in tcp http ping exec; do
    wait_for 5 state_is $c up || fail "$c: state $(state $c) as nobody ($($BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1/check/$c org.vigil.Checker1.Check LastError))"
    log "$c up as nobody"
done
# the counters move: checks keep running
R0=$($BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1/check/ping org.vigil.Checker1.Check Counters | awk '{print $4}')
sleep 1
R1=$($BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1/check/ping org.vigil.Checker1.Check Counters | awk '{print $4}')
[ "$R1" -gt "$R0" ] || fail "ping runs did not advance ($R0 → $R1)"

log "mutating methods: refused to an ordinary user, allowed to root"
OUT=$("${CALLER[@]}" $BUSCTL call org.vigil.Checker1 /org/vigil/Checker1/check/tcp org.vigil.Checker1.Check RunNow 2>&1) \
    && fail "RunNow allowed to an ordinary user"
assert_contains "$OUT" "ccess denied" "RunNow as an ordinary user"
OUT=$("${CALLER[@]}" $BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager RunFence s fence 2>&1) \
    && fail "RunFence allowed to an ordinary user"
assert_contains "$OUT" "ccess denied" "RunFence as an ordinary user"
# reading stays open to everyone
"${CALLER[@]}" $BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager ListChecks >/dev/null \
    || fail "ListChecks refused to an ordinary user"
assert_eq "$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1/check/tcp org.vigil.Checker1.Check RunNow)" \
          'ss "up" "connected"' "RunNow as root"
assert_eq "$($BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager RunFence s fence)" \
          'bs true "exit status 0"' "RunFence as root"
log "PASS"
