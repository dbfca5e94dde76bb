#!/bin/bash
# VMAC mode: vrrpd creates a macvlan with 00:00:5e:00:01:<VRID> on the
# interface, the VIP lives there and ARP for it is answered with the virtual
# MAC (so a failover needs no ARP cache update); the interface goes on stop.
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1 n2
write_conf "$TEST_TMP/n1.yaml" 150 "use_vmac: true"
write_conf "$TEST_TMP/n2.yaml" 100 "use_vmac: true"
node_start n1 "$TEST_TMP/n1.yaml"
node_start n2 "$TEST_TMP/n2.yaml"
wait_state n1 VI_1 master 8
wait_state n2 VI_1 backup 3
for n in n1 n2; do
    out=$(ip -n "${NS[$n]}" -d link show vrrp.51) || fail "$n: no VMAC interface vrrp.51"
    assert_contains "$out" "link/ether 00:00:5e:00:01:33" "$n: VMAC address"
    assert_contains "$out" "macvlan mode private" "$n: macvlan mode"
done
out=$(ip -n "${NS[n1]}" addr show dev vrrp.51)
assert_contains "$out" "inet $NET.50/24" "VIP on the VMAC interface"
res=$(probe_arp 0.5)
assert_eq "$(json_get "$res" "','.join(sorted(d['macs']))")" "00:00:5e:00:01:33" "ARP answers for the VIP"
# failover: the same virtual MAC answers, now from n2
kill -TERM "$(node_pid n1)"
wait_state n2 VI_1 master 3
wait_for 3 eval '! ip -n "${NS[n1]}" link show vrrp.51 >/dev/null 2>&1' || fail "n1 left its VMAC interface"
assert_eq "$(ip netns exec "${NS[n1]}" cat /proc/sys/net/ipv4/conf/eth0/arp_ignore)" 0 "n1 arp_ignore restored"
res=$(probe_arp 0.5)
assert_eq "$(json_get "$res" "','.join(sorted(d['macs']))")" "00:00:5e:00:01:33" "ARP answers after failover"
out=$(ip -n "${NS[n2]}" addr show dev vrrp.51)
assert_contains "$out" "inet $NET.50/24" "VIP on n2's VMAC"
log "PASS"
