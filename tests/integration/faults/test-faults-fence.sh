#!/bin/bash
# dbus-daemon restarted under a MASTER whose instance has fencing: {policy:
# required} (issue 11). A master cannot know what its agent said while the
# bus was away (a Revoked is lost, the agent may be gone), so 5 s after the
# reconnect it asks Fence() again:
#  1. the agent is back and grants: MASTER kept, no transition;
#  2. the agent did not come back: FAULT "fence-revoked: ... after the bus
#     reconnect", VIP removed; the agent returns: MASTER again;
#  3. a fence attempt while the bus is down fails cleanly ("Transport endpoint
#     is not connected"): the instance stays out of MASTER (no VIP at any
#     sample) until bus and agent are back.
TEST_NAME=faults-fence
. "$(dirname "$0")/faults-lib.sh"
AGENT=$VIGIL_BUILD_ROOT/tests/tools/fake-fence-agent
[ -x "$AGENT" ] || fail "$AGENT not built"

bus_start
ns=$(netns_add f)
veth_add "$ns" eth0 "$ns" eth1
ip -n "$ns" addr add 10.86.0.1/24 dev eth0
echo ok > "$TEST_TMP/mode"
cat > "$TEST_TMP/vigil.yaml" <<YAML
vrrp:
  instances:
    VI_F:
      interface: eth0
      virtual_router_id: 62
      priority: 100
      advert_interval: 200ms
      virtual_addresses: [10.86.0.100/32]
      fencing: {policy: required, timeout: 1s, agents: [org.vigil.test.Fence]}
YAML
NS[f]=$ns
BUSNAME[f]=org.vigil.Vrrp1
agent_start() {
    ip netns exec "$ns" "$AGENT" --name org.vigil.test.Fence --mode-file "$TEST_TMP/mode" >>"$TEST_TMP/agent.log" 2>&1 &
    AGENT_PID=$!
    cleanup_add "kill $AGENT_PID"
    wait_for 10 bus_has_name org.vigil.test.Fence || fail "fake agent did not start"
}
agent_stop() { kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; }
vip_on() { ip -n "$ns" -4 addr show dev eth0 | grep -q "10.86.0.100/"; }

agent_start
node_start f "$TEST_TMP/vigil.yaml"
wait_state f VI_F master 20
wait_for 5 vip_on || fail "master without its VIP"

# ---- 1. agent back after the bus restart --------------------------------
lt=$(prop f VI_F LastTransition)
bus_restart 0.5
agent_stop                 # the test agent does not reconnect by itself: a new one
agent_start
wait_for 20 bus_has_name org.vigil.Vrrp1 || fail "vrrpd did not come back on the bus"
wait_for 15 grep -q "re-checked after the bus reconnect: org.vigil.test.Fence still grants" "$TEST_TMP/vrrpd_f.log" ||
    fail "no fencing re-check after the reconnect"
assert_eq "$(state f VI_F)" master "state after the re-check"
assert_eq "$(prop f VI_F LastTransition)" "$lt" "LastTransition (no transition)"
log "fault: dbus-daemon restarted under a fenced master, agent back -> re-check 5 s after the reconnect granted, master kept (no transition)"

# ---- 2. agent gone after the bus restart --------------------------------
bus_restart 0.5
agent_stop
wait_for 20 bus_has_name org.vigil.Vrrp1 || fail "vrrpd did not come back on the bus"
wait_state f VI_F fault 15
reason=$(prop f VI_F LastReason)
assert_contains "$reason" "fence-revoked: org.vigil.test.Fence after the bus reconnect" "reason"
wait_for 5 eval '! vip_on' || fail "VIP still there after the revocation"
log "fault: dbus-daemon restarted under a fenced master, agent not back -> $reason; VIP removed"

# ---- 3. a fence attempt while the bus is down ---------------------------
# the instance retries with backoff; the bus stays away until an attempt failed
kill "$BUS_PID"; wait "$BUS_PID" 2>/dev/null
rm -f "$TEST_TMP/bus.sock" "$TEST_TMP/bus.addr"
( while :; do if vip_on; then echo 1; else echo 0; fi; sleep 0.05; done ) > "$TEST_TMP/vip.samples" &
sampler=$!
cleanup_add "kill $sampler"
wait_for 40 grep -q "Fencing failed (agent org.vigil.test.Fence: Transport endpoint is not connected)" "$TEST_TMP/vrrpd_f.log" ||
    fail "no fence attempt failed while the bus was down"
kill "$sampler"; wait "$sampler" 2>/dev/null
n=$(wc -l < "$TEST_TMP/vip.samples"); vip=$(grep -c 1 "$TEST_TMP/vip.samples")
[ "$vip" = 0 ] || fail "VIP present in $vip of $n samples while the bus was down"
state_line=$(grep "Transport endpoint is not connected" "$TEST_TMP/vrrpd_f.log" | head -1 | sed 's/^vigil-vrrpd: <[a-z]*> //; s/ \[INSTANCE.*//')
bus_restart 0
agent_start
wait_state f VI_F master 40
wait_for 5 vip_on || fail "master again without its VIP"
log "fault: bus down while the instance (FAULT fence-revoked) retried -> '$state_line'; never master, VIP in 0/$n samples;" \
    "bus and agent back -> master again"
log "PASS"
