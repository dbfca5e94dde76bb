#!/bin/bash
# Fencing before promotion (DESIGN §1, issue "three daemons as one system"):
# a lone vrrpd whose peer is silent must fence before it becomes MASTER.
#   - required, agent absent → never MASTER, FAULT with reason fence-failed
#   - the agent appears and grants → MASTER (VIP on the interface)
#   - Revoked from the agent → leaves MASTER at once, VIP gone; fences again
#   - agent hangs or answers garbage → never MASTER (a failed fence, never a success)
#   - agent vanishes from the bus while MASTER → demotes
#   - Release() is called on leaving MASTER
#   - best-effort with the agent absent → MASTER anyway
. "$(dirname "$0")/lib.sh"
require_root
bus_start
AGENT=$VIGIL_BUILD_ROOT/tests/tools/fake-fence-agent
[ -x "$AGENT" ] || fail "$AGENT not built"

ns=$(netns_add f)
veth_add "$ns" eth0 "$ns" eth1
ip -n "$ns" addr add 10.97.0.1/24 dev eth0
mode=$TEST_TMP/mode
echo ok > "$mode"

write_cfg() { # POLICY
    cat > "$TEST_TMP/vigil.yaml" <<YAML
vrrp:
  instances:
    VI_F:
      interface: eth0
      virtual_router_id: 61
      priority: 100
      version: 3
      advert_interval: 200ms
      virtual_addresses: [10.97.0.100/32]
      fencing: {policy: $1, timeout: 1s, agents: [org.vigil.test.Fence]}
YAML
}
state() {
    local path
    path=$($BUSCTL call org.vigil.Vrrp1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager ListInstances 2>/dev/null | grep -o '"/[^"]*"' | tr -d '"')
    [ -n "$path" ] && $BUSCTL get-property org.vigil.Vrrp1 "$path" org.vigil.Vrrp1.Instance State 2>/dev/null | awk '{print $2}' | tr -d '"'
}
state_is() { [ "$(state)" = "$1" ]; }
has_vip() { ip -n "$ns" -4 addr show dev eth0 | grep -q 10.97.0.100/; }
agent_start() {
    ip netns exec "$ns" "$AGENT" --name org.vigil.test.Fence --mode-file "$mode" >>"$TEST_TMP/agent.log" 2>&1 &
    AGENT_PID=$!
    cleanup_add "kill $AGENT_PID"
    wait_for 10 bus_has_name org.vigil.test.Fence || fail "fake agent did not start"
}

write_cfg required
daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$TEST_TMP/vigil.yaml"
wait_for 15 bus_has_name org.vigil.Vrrp1 || fail "vrrpd did not start"

# 1. agent absent: FAULT, never MASTER
wait_for 15 state_is fault || fail "expected fault without the agent, state $(state)"
for i in $(seq 20); do state_is master && fail "became MASTER without a fence"; has_vip && fail "VIP added without a fence"; sleep 0.1; done
grep -q "fence-failed" "$TEST_TMP/vrrpd.log" || fail "no fence-failed reason in the log"
log "1. agent absent: $(grep -o 'fence-failed[^)]*' "$TEST_TMP/vrrpd.log" | head -1)"

# 2. the agent appears and grants → MASTER on the next attempt
agent_start
wait_for 40 state_is master || fail "not MASTER after the agent granted (state $(state))"
wait_for 5 has_vip || fail "VIP missing on the master"
grep -q "^Fence VI_F" "$TEST_TMP/agent.log" || fail "the agent was not asked"
log "2. granted → master"

# 3. Revoked → leaves MASTER at once, VIP gone, then fences again (still ok → master)
echo fail > "$mode"
kill -USR1 $AGENT_PID
wait_for 5 state_is fault || fail "Revoked did not make the master leave (state $(state))"
wait_for 5 bash -c "! ip -n $ns -4 addr show dev eth0 | grep -q 10.97.0.100/" || fail "VIP still there after Revoked"
grep -q "fence-revoked" "$TEST_TMP/vrrpd.log" || fail "no fence-revoked reason"
wait_for 5 grep -q "^Release VI_F" "$TEST_TMP/agent.log" || fail "Release() not called on leaving MASTER"
log "3. revoked → fault, VIP removed, Release called"

# 4. the agent now refuses, hangs, or answers garbage: never MASTER
for m in fail hang garbage; do
    echo $m > "$mode"
    n0=$(grep -c "^Fence VI_F" "$TEST_TMP/agent.log")
    wait_for 40 bash -c "[ \$(grep -c '^Fence VI_F' $TEST_TMP/agent.log) -gt $n0 ]" || fail "no new fence attempt ($m)"
    for i in $(seq 15); do state_is master && fail "MASTER although the agent answered '$m'"; sleep 0.1; done
    log "4. agent '$m' → stays out of MASTER"
done

# 5. grants again → master; then the agent vanishes → demote
echo ok > "$mode"
wait_for 60 state_is master || fail "not MASTER after the agent granted again (state $(state))"
kill -9 $AGENT_PID
wait_for 5 state_is fault || fail "agent vanished but the master stayed (state $(state))"
grep -q "left the bus" "$TEST_TMP/vrrpd.log" || fail "no 'left the bus' reason"
log "5. agent vanished → demoted"

# 6. best-effort: the agent is absent, the node promotes anyway
kill -TERM "$vrrpd_PID"; wait "$vrrpd_PID" 2>/dev/null || true
write_cfg best-effort
daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$TEST_TMP/vigil.yaml"
wait_for 20 state_is master || fail "best-effort: not MASTER (state $(state))"
grep -q "best-effort" "$TEST_TMP/vrrpd.log" || fail "best-effort promotion not logged"
log "6. best-effort → master"
echo ok
