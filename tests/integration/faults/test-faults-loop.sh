#!/bin/bash
# Restart in a loop, ×50 per daemon (issue 11): start, wait only for the bus
# name, stop (SIGTERM and SIGKILL alternately), again. Afterwards nothing is
# leaked and the final state is right:
#  vrrpd    (alone in a namespace, 100 ms adverts): one nft table inet
#           vigil_vrrp, no address but the primary and (once master) one VIP,
#           no vrrpd process left but the last; the last run becomes master
#           with the VIP; its graceful stop removes the VIP.
#  checkerd (exec checks that sleep, so a kill often lands mid-run): no
#           checkerd process left but the last; its check is up; children
#           orphaned by a SIGKILL finish on their own (counted and printed:
#           checkerd does not kill them when it is killed).
TEST_NAME=faults-loop
NET=10.84.0
. "$(dirname "$0")/faults-lib.sh"
N=${FAULTS_LOOP:-50}
WHICH=${1:-all}   # vrrpd | checkerd | all (meson runs the two as separate tests)

bus_start
vrrp_lan n1
ADVERT=100ms write_conf "$TEST_TMP/n1.yaml" 150
MARK=vigil-loop-$TEST_TAG
cat >> "$TEST_TMP/n1.yaml" <<YAML
checks:
  chk_sleep: {type: exec, command: [/bin/sh, -c, "sleep 0.3", $MARK], interval: 100ms, timeout: 2s}
YAML

# stop_pid PID SIGNAL: signal and wait until the process is gone
stop_pid() {
    kill -"$2" "$1" 2>/dev/null
    wait_for 10 eval '! kill -0 '"$1"' 2>/dev/null' || fail "pid $1 still alive 10 s after SIG$2"
    wait "$1" 2>/dev/null
}

if [ "$WHICH" != checkerd ]; then
t0=$(now_ns)
for i in $(seq 1 "$N"); do
    node_start n1 "$TEST_TMP/n1.yaml"
    if [ $((i % 2)) = 0 ]; then sig=KILL; else sig=TERM; fi
    stop_pid "$(node_pid n1)" $sig
done
t1=$(now_ns)
left=$(procs_of "$TEST_TMP/n1.yaml" | wc -l)
[ "$left" = 0 ] || fail "vrrpd processes left after $N restarts: $(procs_of "$TEST_TMP/n1.yaml")"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 10
wait_for 5 has_vip n1 "$NET.50/24" || fail "final vrrpd master without the VIP"
tables=$(ip netns exec "${NS[n1]}" nft list tables | grep -c "inet vigil_vrrp")
assert_eq "$tables" 1 "nft tables inet vigil_vrrp after $N restarts"
addrs=$(ip -n "${NS[n1]}" -4 -o addr show dev eth0 | awk '{print $4}' | sort | tr '\n' ' ')
assert_eq "$addrs" "$NET.1/24 $NET.50/24 " "IPv4 addresses on eth0 after $N restarts"
assert_eq "$(procs_of "$TEST_TMP/n1.yaml" | wc -l)" 1 "vrrpd processes running"
stop_pid "$(node_pid n1)" TERM
has_vip n1 "$NET.50/24" && fail "graceful stop left the VIP"
log "fault: vrrpd restarted x$N (SIGTERM/SIGKILL alternately, $(( (t1 - t0) / 1000000 )) ms) -> no process left," \
    "1 nft table, addresses '$addrs'(primary + 1 VIP) on the final master, VIP removed by its graceful stop"
fi

if [ "$WHICH" != vrrpd ]; then
t0=$(now_ns)
for i in $(seq 1 "$N"); do
    daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/n1.yaml"
    wait_for 10 bus_has_name org.vigil.Checker1 || fail "checkerd run $i did not take its name"
    if [ $((i % 2)) = 0 ]; then sig=KILL; else sig=TERM; fi
    stop_pid "$checkerd_PID" $sig
done
t1=$(now_ns)
orphans=$(procs_of "$MARK" | wc -l)
left=$(procs_of "$CHECKERD -c $TEST_TMP/n1.yaml" | wc -l)
[ "$left" = 0 ] || fail "checkerd processes left after $N restarts"
# an orphaned check command ends by itself (sleep 0.3); nothing may stay
wait_for 10 eval '[ "$(procs_of "$MARK" | wc -l)" = 0 ]' || fail "check commands still running 10 s after the loop: $(procs_of "$MARK")"
daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/n1.yaml"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "final checkerd did not take its name"
wait_for 10 check_is chk_sleep up || fail "chk_sleep not up on the final checkerd"
stop_pid "$checkerd_PID" TERM
log "fault: checkerd restarted x$N (SIGTERM/SIGKILL alternately, $(( (t1 - t0) / 1000000 )) ms) -> no checkerd left," \
    "$orphans check command(s) orphaned right after the loop (ended by themselves), final run: check up, clean stop"
fi
log "PASS"
