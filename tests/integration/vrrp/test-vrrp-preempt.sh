#!/bin/bash
# vigil <-> vigil: equal-priority tie-break by address, nopreempt, preempt_delay.
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1 n2

stop_node() { kill -TERM "$(node_pid "$1")"; wait_for 5 eval '! kill -0 $(node_pid '"$1"') 2>/dev/null'; }

# -- equal priority: the higher primary address wins (RFC 5798 §6.4.3). The
#    rule applies between two masters (a backup follows an equal-priority
#    master), so both start as master.
write_conf "$TEST_TMP/eq.yaml" 100 "initial_state: master"
node_start n1 "$TEST_TMP/eq.yaml"
node_start n2 "$TEST_TMP/eq.yaml"
wait_for 10 eval 'state_is n1 VI_1 master || state_is n2 VI_1 master' || fail "nobody became master"
sleep 4
state_is n2 VI_1 master || fail "tie-break: n2 ($NET.2) should be master, n1=$(state n1 VI_1) n2=$(state n2 VI_1)"
state_is n1 VI_1 backup || fail "tie-break: n1 should be backup"
log "tie-break: $NET.2 master, $NET.1 backup"
stop_node n1; stop_node n2

# -- nopreempt: a higher-priority node joining later stays backup
write_conf "$TEST_TMP/lo.yaml" 100
write_conf "$TEST_TMP/hi-nopreempt.yaml" 150 "preempt: false"
node_start n2 "$TEST_TMP/lo.yaml"
wait_state n2 VI_1 master 6
node_start n1 "$TEST_TMP/hi-nopreempt.yaml"
wait_state n1 VI_1 backup 2
sleep 5
state_is n1 VI_1 backup || fail "nopreempt: n1 preempted ($(prop n1 VI_1 LastReason))"
state_is n2 VI_1 master || fail "nopreempt: n2 lost master"
log "nopreempt: higher-priority n1 stayed backup for 5 s"
# ...but takes over when the master goes
stop_node n2
wait_state n1 VI_1 master 3
stop_node n1

# -- preempt_delay: the lower master is tolerated for the delay, then preempted
write_conf "$TEST_TMP/hi-delay.yaml" 150 "preempt_delay: 3s"
node_start n2 "$TEST_TMP/lo.yaml"
wait_state n2 VI_1 master 6
t0=$(date +%s%N)
node_start n1 "$TEST_TMP/hi-delay.yaml"
wait_state n1 VI_1 backup 2
sleep 2.5
state_is n1 VI_1 backup || fail "preempt_delay: n1 preempted before 3 s"
wait_state n1 VI_1 master 6
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "preempt_delay 3s: n1 took over after ${ms} ms (delay + master_down_interval 3.2 s)"
[ "$ms" -ge 5500 ] || fail "preempt_delay: took over after only ${ms} ms"
assert_contains "$(prop n1 VI_1 LastReason)" "preempt (priority 150 > master priority 100)" "reason"
wait_state n2 VI_1 backup 2
log "PASS"
