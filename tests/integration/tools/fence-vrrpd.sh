#!/bin/bash
# Split brain prevented end to end: two real vigil-vrrpd nodes (network
# namespaces on one bridge), each fenced by its own vigil-fence-zk against a
# real ZooKeeper.
#   1. normal election: n1 (priority 150) is MASTER and holds the lock
#   2. VRRP partition (n2 stops hearing adverts, both alive): n2 wants MASTER,
#      its agent is refused (n1 holds the lock): n2 goes FAULT fence-failed
#      and never puts up the VIP
#   3. ZooKeeper stops answering: n1's agent revokes, n1 leaves MASTER and its
#      VIP is gone before the session timeout; nobody holds the VIP
#   4. ZooKeeper back: a node becomes MASTER again, exactly one
TEST_NAME=fence-vrrpd
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_root
require_cmd nft busctl

FENCE=$VIGIL_BUILD_ROOT/tools/fence-zk/vigil-fence-zk
[ -x "$FENCE" ] || fail "$FENCE not built"
[ -x "$VRRPD" ] || fail "$VRRPD not built"
T_MS=3000

. "$VIGIL_SOURCE_ROOT/tests/integration/tools/fence-zk-lib.sh"
zk_start
bus_start

declare -A NS
NS[n1]=$(netns_add n1)
NS[n2]=$(netns_add n2)
bridge_lan lan "${NS[n1]}" "${NS[n2]}" >/dev/null
ip -n "${NS[n1]}" addr add 10.79.0.1/24 dev eth0
ip -n "${NS[n2]}" addr add 10.79.0.2/24 dev eth0
VIP=10.79.0.50/24

write_conf() { # NODE PRIORITY AGENT
    cat > "$TEST_TMP/$1.yaml" <<EOF
global: {router_id: $1}
zookeeper: {hosts: "127.0.0.1:$ZK_PORT", root: /vigil-e2e/$TEST_TAG, session_timeout: ${T_MS}ms}
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 71
      priority: $2
      advert_interval: 200ms
      virtual_addresses: [$VIP]
      fencing: {policy: required, timeout: 2s, agents: [$3]}
EOF
}
write_conf n1 150 org.vigil.FenceZkA
write_conf n2 100 org.vigil.FenceZkB

VIGIL_BUS_NAME=org.vigil.FenceZkA daemon_start agentA "$FENCE" -c "$TEST_TMP/n1.yaml"
VIGIL_BUS_NAME=org.vigil.FenceZkB daemon_start agentB "$FENCE" -c "$TEST_TMP/n2.yaml"
for a in A B; do
    wait_for 10 bash -c "$BUSCTL get-property org.vigil.FenceZk$a /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager SessionState | grep -q connected" \
        || fail "agent $a did not connect"
done

state() { # NODE → state
    $BUSCTL get-property "org.vigil.Vrrp1.$1" /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance State 2>/dev/null \
        | cut -d' ' -f2 | tr -d '"'
}
reason() {
    $BUSCTL get-property "org.vigil.Vrrp1.$1" /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance LastReason 2>/dev/null \
        | cut -d' ' -f2- | tr -d '"'
}
state_is() { [ "$(state "$1")" = "$2" ]; }
has_vip() { local out; out=$(ip -n "${NS[$1]}" addr show dev eth0); grep -qw "inet ${VIP%/*}/24" <<<"$out"; }
no_vip() { ! has_vip "$1"; }

# n1 first: if both start together on a loaded machine, n2 can win the
# first master-down race and take the lock, and a lock holder is not preempted
# (the higher-priority node cannot promote without the lock: safe, and not
# what this test is about).
VIGIL_BUS_NAME=org.vigil.Vrrp1.n1 daemon_start_ns "${NS[n1]}" vrrpd1 "$VRRPD" -c "$TEST_TMP/n1.yaml"

# ---- 1. election -------------------------------------------------------------
wait_for 20 state_is n1 master || fail "n1 not MASTER: $(state n1) ($(reason n1))"
VIGIL_BUS_NAME=org.vigil.Vrrp1.n2 daemon_start_ns "${NS[n2]}" vrrpd2 "$VRRPD" -c "$TEST_TMP/n2.yaml"
wait_for 5 state_is n2 backup || fail "n2 not BACKUP: $(state n2) ($(reason n2))"
wait_for 3 has_vip n1 || fail "n1 MASTER without its VIP"
held=$($BUSCTL get-property org.vigil.FenceZkA /org/vigil/FenceZk1/instance/VI_5f1 org.vigil.FenceZk1.Instance Held)
assert_eq "$held" "b true" "agent A holds VI_1"
log "1. n1 MASTER ($(reason n1)), holds the lock; n2 BACKUP"

# watch n2 for the VIP from now on
( while :; do has_vip n2 && echo "$(date +%s%N)" >> "$TEST_TMP/n2-vip-seen"; sleep 0.05; done ) &
WATCH=$!
cleanup_add "kill $WATCH"

# ---- 2. VRRP partition: n2 hears no adverts, both alive -------------------------
ip netns exec "${NS[n2]}" nft -f - <<EOF
table inet vigil_test_partition {
  chain in { type filter hook input priority -300; ip protocol vrrp drop; }
}
EOF
cleanup_add "ip netns exec ${NS[n2]} nft delete table inet vigil_test_partition"
wait_for 15 bash -c "$BUSCTL get-property org.vigil.Vrrp1.n2 /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance LastReason | grep -q fence-failed" \
    || fail "n2 did not fail fencing during the partition: $(state n2) ($(reason n2))"
sleep 1
[ -s "$TEST_TMP/n2-vip-seen" ] && fail "split brain: n2 put up the VIP during the partition"
state_is n1 master || fail "n1 left MASTER during the partition: $(state n1) ($(reason n1))"
state_is n2 master && fail "n2 MASTER during the partition"
log "2. partition: n2 $(state n2) ($(reason n2)); never had the VIP; n1 still MASTER"
ip netns exec "${NS[n2]}" nft delete table inet vigil_test_partition

# ---- 3. ZooKeeper silent: n1 revoked, VIP gone before the session timeout --------
sleep 1
t0=$(date +%s%N)
kill -STOP "$ZK_PID"
cleanup_add "kill -CONT $ZK_PID"
wait_for 10 no_vip n1 || fail "n1 kept its VIP after ZooKeeper stopped answering: $(state n1) ($(reason n1))"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "3. ZooKeeper stopped: n1's VIP gone after ${ms}ms ($(state n1): $(reason n1)); session timeout ${T_MS}ms"
[ "$ms" -lt "$T_MS" ] || fail "n1's VIP outlived the session timeout (${ms}ms): a peer could have taken the lock"
grep -q "fence-revoked" <<<"$(reason n1)" || fail "n1's reason is not fence-revoked: $(reason n1)"
sleep 2
no_vip n2 || fail "n2 took the VIP while ZooKeeper is down"
[ -s "$TEST_TMP/n2-vip-seen" ] && fail "n2 had the VIP while ZooKeeper was down"

# ---- 4. ZooKeeper back: one MASTER again ----------------------------------------
kill -CONT "$ZK_PID"
wait_for 60 bash -c "ip -n ${NS[n1]} addr show dev eth0 | grep -qw 'inet ${VIP%/*}/24' || ip -n ${NS[n2]} addr show dev eth0 | grep -qw 'inet ${VIP%/*}/24'" \
    || fail "nobody became MASTER after ZooKeeper came back: n1 $(state n1) ($(reason n1)), n2 $(state n2) ($(reason n2))"
sleep 1
n=0
has_vip n1 && n=$((n + 1))
has_vip n2 && n=$((n + 1))
assert_eq "$n" 1 "nodes holding the VIP after recovery"
log "4. ZooKeeper back: n1 $(state n1), n2 $(state n2); exactly one holds the VIP"
log "PASS"
