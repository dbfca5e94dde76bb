#!/bin/bash
# Tracking and faults: a tracked interface without weight faults the
# instance (the peer takes over, recovery preempts back), with a weight it
# lowers the priority; a sync group moves together and one member's fault
# faults the group; an instance whose interface does not exist is FAULT with
# a clear reason and recovers when it appears; a VIP the kernel refuses
# faults only its instance and is reported on the bus.
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1 n2
# (no dummy module in every kernel: a veth pair with both ends up has carrier)
vlink() { # NODE NAME
    ip -n "${NS[$1]}" link add "$2" type veth peer name "$2p" || fail "veth $2"
    ip -n "${NS[$1]}" link set "$2p" up
    ip -n "${NS[$1]}" link set "$2" up
}
for n in n1 n2; do vlink "$n" trk0; done

# conf2 FILE PRIORITY TRACK-YAML-FOR-VI_2
conf2() {
    cat > "$1" <<Y
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: $2
      advert_interval: 1s
      virtual_addresses: [{address: $NET.50/24}]
    VI_2:
      interface: eth0
      virtual_router_id: 52
      priority: $2
      advert_interval: 1s
      virtual_addresses: [{address: $NET.60/24}]
      $3
  sync_groups:
    G1: [VI_1, VI_2]
Y
}
conf2 "$TEST_TMP/n1.yaml" 150 "track: {interfaces: [{name: trk0}]}"
conf2 "$TEST_TMP/n2.yaml" 100 ""
monitor_start "$TEST_TMP/monitor.txt"
node_start n1 "$TEST_TMP/n1.yaml"
node_start n2 "$TEST_TMP/n2.yaml"
wait_state n1 VI_1 master 8
wait_state n1 VI_2 master 2
wait_state n2 VI_2 backup 2
assert_eq "$(prop n1 VI_1 SyncGroup)" "G1" "SyncGroup property"

# -- tracked interface down: VI_2 FAULT, and the sync group takes VI_1 down with it
ip -n "${NS[n1]}" link set trk0 down
wait_state n1 VI_2 fault 3
assert_eq "$(prop n1 VI_2 LastReason)" "interface trk0 down" "VI_2 fault reason"
wait_state n1 VI_1 fault 3
assert_eq "$(prop n1 VI_1 LastReason)" "sync group G1: VI_2 fault" "VI_1 fault reason"
wait_state n2 VI_1 master 3     # priority 0 from the faulting master: skew time
wait_state n2 VI_2 master 3
has_vip n1 "$NET.50/24" && fail "faulted n1 kept VIP .50"
has_vip n2 "$NET.60/24" || fail "n2 did not take VIP .60"
# -- recovery: back through backup, then preempts (higher priority)
ip -n "${NS[n1]}" link set trk0 up
wait_state n1 VI_2 master 8
wait_state n1 VI_1 master 3
wait_state n2 VI_1 backup 3
log "track interface (no weight): fault, group fault, recovery OK"

# -- sync group moves together: demote VI_1 on n1; VI_2 follows to backup
p1=$(inst_path n1 VI_1)
$BUSCTL call org.vigil.Vrrp1.n1 "$p1" org.vigil.Vrrp1.Instance Demote || fail "Demote failed"
wait_state n1 VI_1 backup 2
wait_state n1 VI_2 backup 2
assert_eq "$(prop n1 VI_2 LastReason)" "sync group G1: VI_1 backup" "VI_2 followed VI_1"
wait_state n2 VI_1 master 3
wait_state n2 VI_2 master 3
# Demote is sticky: n1 does not preempt back...
sleep 4.5
state_is n1 VI_1 backup || fail "demoted instance preempted back"
# ...until its priority is set again
$BUSCTL call org.vigil.Vrrp1.n1 "$p1" org.vigil.Vrrp1.Instance SetPriority u 160 || fail "SetPriority failed"
assert_eq "$(prop n1 VI_1 Priority)" "160" "Priority after SetPriority"
wait_state n1 VI_1 master 8
wait_state n1 VI_2 master 3
# bad argument: a clear error naming the method and argument
err=$($BUSCTL call org.vigil.Vrrp1.n1 "$p1" org.vigil.Vrrp1.Instance SetPriority u 300 2>&1) && fail "SetPriority 300 accepted"
assert_contains "$err" "SetPriority: argument 1 (priority) must be 1..254" "SetPriority error"
log "sync group, Demote, SetPriority OK"
kill -TERM "$(node_pid n1)" "$(node_pid n2)"
sleep 1

# -- weight: priority 150 - 60 = 90 < 100: n2 preempts
write_conf "$TEST_TMP/w1.yaml" 150 "track: {interfaces: [{name: trk0, weight: -60}]}"
write_conf "$TEST_TMP/w2.yaml" 100
node_start n1 "$TEST_TMP/w1.yaml"
node_start n2 "$TEST_TMP/w2.yaml"
wait_state n1 VI_1 master 8
ip -n "${NS[n1]}" link set trk0 down
wait_for 3 eval '[ "$(prop n1 VI_1 EffectivePriority)" = 90 ]' || fail "EffectivePriority not 90: $(prop n1 VI_1 EffectivePriority)"
wait_state n2 VI_1 master 6
wait_state n1 VI_1 backup 2
ip -n "${NS[n1]}" link set trk0 up
wait_state n1 VI_1 master 8
log "track interface weight OK"
kill -TERM "$(node_pid n1)" "$(node_pid n2)"
sleep 1

# -- missing interface: FAULT with a clear reason, recovers when it appears;
#    a VIP the kernel refuses (IPv6 disabled on its device) faults only VI_B
vlink n1 vipdev
ip netns exec "${NS[n1]}" sysctl -qw net.ipv6.conf.vipdev.disable_ipv6=1
cat > "$TEST_TMP/bad.yaml" <<Y
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: 150
      virtual_addresses: [{address: $NET.50/24}]
    VI_M:
      interface: late0
      virtual_router_id: 53
      priority: 150
      virtual_addresses: [{address: 10.78.0.50/24}]
    VI_B:
      interface: eth0
      virtual_router_id: 54
      priority: 150
      virtual_addresses: [{address: "fd78::50/64", device: vipdev}]
Y
node_start n1 "$TEST_TMP/bad.yaml"
wait_state n1 VI_M fault 3
assert_eq "$(prop n1 VI_M LastReason)" "interface late0 missing" "missing interface reason"
wait_state n1 VI_1 master 8
wait_state n1 VI_B fault 8
assert_contains "$(prop n1 VI_B LastError)" "VIP fd78::50/64 on vipdev refused by the kernel" "LastError"
assert_contains "$(prop n1 VI_B LastReason)" "VIP refused by the kernel" "VI_B reason"
grep -q "the kernel refused VIP fd78::50/64 on vipdev" "$TEST_TMP/vrrpd_n1.log" || fail "no journal line for the refused VIP"
grep -q "bad.yaml:[0-9]*:[0-9]*: the kernel refused" "$TEST_TMP/vrrpd_n1.log" || fail "refused VIP not reported with file:line:col"
state_is n1 VI_1 master || fail "VI_1 affected by VI_B's fault"
# the interface appears: VI_M recovers
vlink n1 late0
ip -n "${NS[n1]}" addr add 10.78.0.1/24 dev late0
wait_state n1 VI_M backup 3
assert_contains "$(prop n1 VI_M LastReason)" "recovered from: interface late0 missing" "recovery reason"
wait_state n1 VI_M master 6
log "missing interface / refused VIP OK"
log "PASS"
