#!/bin/bash
# vigil <-> vigil: election by priority, VIP only on the master, graceful stop
# hands over within skew time (priority 0), restart of the higher node preempts.
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1 n2
write_conf "$TEST_TMP/n1.yaml" 150
write_conf "$TEST_TMP/n2.yaml" 100
monitor_start "$TEST_TMP/monitor.txt"

node_start n2 "$TEST_TMP/n2.yaml"
node_start n1 "$TEST_TMP/n1.yaml"

# both start as backup; the higher priority wins after master_down_interval (3 s + skew)
wait_state n1 VI_1 master 8
sleep 1.5
state_is n2 VI_1 backup || fail "n2 should be backup, is $(state n2 VI_1)"
has_vip n1 "$NET.50/24" || fail "VIP not on the master"
has_vip n2 "$NET.50/24" && fail "VIP on the backup"
assert_eq "$(prop n2 VI_1 MasterAddress)" "$NET.1" "n2 MasterAddress"
assert_eq "$(prop n1 VI_1 EffectivePriority)" "150" "n1 EffectivePriority"
# VIP carries a finite lifetime (lease), refreshed while master
addrs=$(ip -n "${NS[n1]}" addr show dev eth0)
grep -A1 "$NET.50/24" <<<"$addrs" | grep "valid_lft [0-9]*sec" >/dev/null || fail "VIP has no finite lifetime: $(ip -n "${NS[n1]}" addr show dev eth0)"
# the client reaches the VIP, and the answer comes from n1's MAC
out=$(probe_arp 0.5)
assert_eq "$(json_get "$out" "','.join(sorted(d['macs']))")" "$(node_mac n1)" "MACs answering ARP for the VIP"

# graceful stop of the master: priority 0, n2 takes over after skew time (~0.6 s), not 3.6 s
t0=$(date +%s%N)
kill -TERM "$(node_pid n1)"
wait_state n2 VI_1 master 3
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
log "takeover after graceful stop: ${ms} ms"
[ "$ms" -lt 2000 ] || fail "takeover after graceful stop took ${ms} ms (expected ~skew time)"
wait_for 3 eval '! has_vip n1 "$NET.50/24"' || fail "n1 left its VIP behind on stop"
has_vip n2 "$NET.50/24" || fail "VIP not on n2 after takeover: $(ip -n "${NS[n2]}" addr show dev eth0)"
grep -q "vigil-vrrpd stopped" "$TEST_TMP/vrrpd_n1.log" || fail "n1 did not stop cleanly"

# n1 comes back: preempts n2 (higher priority, preempt default true)
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 8
wait_state n2 VI_1 backup 3
has_vip n2 "$NET.50/24" && fail "n2 kept the VIP after being preempted"
assert_contains "$(prop n2 VI_1 LastReason)" "preempted by $NET.1" "n2 reason"

# StateChanged signals: in order, monotonic seq, with reasons
sleep 0.5
grep -q '"master-released"' "$TEST_TMP/monitor.txt" || fail "no master-released StateChanged: $(cat "$TEST_TMP/monitor.txt")"
grep -q '"shutdown"' "$TEST_TMP/monitor.txt" || fail "no shutdown StateChanged"
log "PASS"
