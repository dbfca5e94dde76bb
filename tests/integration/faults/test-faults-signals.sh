#!/bin/bash
# Signals as faults (issue 11), on a vrrpd pair in namespaces (n1 priority
# 150 with preempt: false, n2 100) and checkerd. Recovery must not need a
# planned handover: a preempting node overlaps the old master for some ms
# (reported separately), and these cases are about the fault itself.
#  vrrpd    SIGKILL of the master (n1), restart: n2 takes over; n1's VIP goes
#           by its lease; the restarted n1 removes leftovers and joins as
#           backup. No ARP request answered by both nodes.
#  vrrpd    SIGSTOP of the master (now n2) for 10 s, SIGCONT: n1 takes over,
#           n2's VIP goes silent by its lease (never answered by both: the
#           nft lease silences it in ms, the kernel lifetime removes the
#           address within ~2 s; DESIGN §1 judges by behaviour); after SIGCONT
#           n2 recovers cleanly (same pid, answers on the bus, backup, no VIP).
#  checkerd SIGKILL, restart: the tracked check goes missing (on_missing:
#           fault, the default) and comes back up: checks run again, objects
#           back, one master again.
#  checkerd SIGSTOP 10 s, SIGCONT: alive, answering, runs counting on; vrrpd
#           keeps its master (checkerd's name stays on the bus).
TEST_NAME=faults-signals
NET=10.83.0
. "$(dirname "$0")/faults-lib.sh"

bus_start
vrrp_lan n1 n2
for n in n1 n2; do
    prio=150; [ $n = n2 ] && prio=100
    extra=(); [ $n = n1 ] && extra=("preempt: false")
    ADVERT=100ms write_conf "$TEST_TMP/$n.yaml" $prio "track:" "  checks: [{name: chk_up}]" "${extra[@]}"
    cat >> "$TEST_TMP/$n.yaml" <<YAML
checks:
  chk_up: {type: exec, command: [/bin/true], interval: 200ms}
YAML
done
mac1=$(node_mac n1); mac2=$(node_mac n2)
stats_runs() { $BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Stats 2>/dev/null |
               tr ' ' '\n' | tr -d '"' | awk 'prev == "runs" { print; exit } { prev = $0 }'; }

daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/n1.yaml"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
wait_for 10 check_is chk_up up || fail "chk_up not up"
node_start n1 "$TEST_TMP/n1.yaml"    # first: with preempt: false it would not take over from n2
wait_state n1 VI_1 master 10
node_start n2 "$TEST_TMP/n2.yaml"
wait_state n2 VI_1 backup 5

# ---- vrrpd SIGKILL + restart -------------------------------------------
probe_vip 60s "$TEST_TMP/kill.probe"; probe=$PROBE_PID
sleep 0.5
kill -KILL "$(node_pid n1)"
wait_state n2 VI_1 master 10
wait_for 5 eval '! has_vip n1 "$NET.50/24"' || fail "killed master's VIP outlived its lease"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 backup 10
sleep 1
state_is n2 VI_1 master || fail "n2 left MASTER when n1 came back"
assert_eq "$(vip_count n1 "$NET.50/24")" 0 "VIP count on the restarted backup n1"
assert_eq "$(vip_count n2 "$NET.50/24")" 1 "VIP count on n2"
kill "$probe"; wait "$probe" 2>/dev/null
split=$(probe_split "$TEST_TMP/kill.probe"); owners=$(probe_owners "$TEST_TMP/kill.probe")
[ "$split" = 0 ] || fail "SIGKILL: ARP answered by both nodes $split time(s): $(probe_split_detail "$TEST_TMP/kill.probe")"
assert_eq "$owners" "$mac1 $mac2 " "SIGKILL: who answered ARP"
log "fault: SIGKILL vrrpd (master n1), restart -> n2 master, n1's VIP gone by lease, restarted n1 backup without VIP; ARP owners n1,n2, split=0"

# ---- vrrpd SIGSTOP 10 s ------------------------------------------------
probe_vip 60s "$TEST_TMP/stop.probe"; probe=$PROBE_PID
sample_vips "$TEST_TMP/stop.vips" n1 n2
sleep 0.5
pid2=$(node_pid n2)
kill -STOP "$pid2"
wait_state n1 VI_1 master 10
wait_for 5 eval '! has_vip n2 "$NET.50/24"' || fail "stopped master's VIP outlived its lease"
sleep 9
state_is n1 VI_1 master || fail "n1 lost MASTER while n2 was stopped"
kill -CONT "$pid2"
wait_state n2 VI_1 backup 10
sleep 1
state_is n1 VI_1 master || fail "n1 left MASTER after n2 resumed"
kill "$probe" "$SAMPLE_PID"; wait "$probe" 2>/dev/null
kill -0 "$pid2" || fail "vrrpd n2 died after SIGCONT"
assert_eq "$(vip_count n2 "$NET.50/24")" 0 "VIP count on n2 after SIGCONT"
assert_eq "$(vip_count n1 "$NET.50/24")" 1 "VIP count on n1"
[ -n "$(prop n2 VI_1 Counters)" ] || fail "n2 does not answer on the bus after SIGCONT"
split=$(probe_split "$TEST_TMP/stop.probe"); owners=$(probe_owners "$TEST_TMP/stop.probe")
ov=$(overlap "$TEST_TMP/stop.vips"); samples=$(wc -l < "$TEST_TMP/stop.vips")
[ "$split" = 0 ] || fail "SIGSTOP: ARP answered by both nodes $split time(s): $(probe_split_detail "$TEST_TMP/stop.probe")"
# n2 first, n1 at the end; in between only "never both" is the rule (a resumed
# ex-master may answer again for an instant before it hears n1; seen once
# under ASan, never together with n1)
case "$owners" in "$mac2 $mac1 "*) ;; *) fail "SIGSTOP: ARP owners $owners: expected n2 then n1 ($mac2 $mac1)";; esac
[[ "$owners" == *"$mac1 " ]] || fail "SIGSTOP: n1 is not the last to answer: $owners"
log "fault: SIGSTOP vrrpd (master n2) 10 s, SIGCONT -> n1 master, n2 silent by its lease, after SIGCONT n2 backup" \
    "(same pid, bus answers, no VIP); ARP owners $(sed "s/$mac1/n1/g; s/$mac2/n2/g" <<<"$owners"), split=0; address on both nodes in $ov/$samples ip-addr samples" \
    "(the address outlives the ms nft lease by up to its ~1 s kernel lifetime; judged by ARP)"

# ---- checkerd SIGKILL + restart ----------------------------------------
kill -KILL "$checkerd_PID"
wait_for 10 eval '! bus_has_name org.vigil.Checker1' || fail "checkerd's name stayed"
# default on_missing is fault: both instances leave (the tracked check is missing)
wait_state n1 VI_1 fault 10
daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/n1.yaml"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "restarted checkerd did not take its name"
wait_for 10 check_is chk_up up || fail "chk_up not up after the restart"
wait_for 15 eval 'state_is n1 VI_1 master && state_is n2 VI_1 backup' ||
    fail "no single master after checkerd came back: n1 $(state n1 VI_1), n2 $(state n2 VI_1)"
runs=$(stats_runs)
wait_for 5 eval '[ "$(stats_runs)" -gt "$runs" ]' || fail "restarted checkerd does not run checks"
log "fault: SIGKILL checkerd, restart -> vrrpd: check missing (fault, on_missing default), restarted checkerd: objects back, chk_up up, runs counting; n1 master again"

# ---- checkerd SIGSTOP 10 s ---------------------------------------------
lt=$(prop n1 VI_1 LastTransition)
runs=$(stats_runs)
kill -STOP "$checkerd_PID"
sleep 10
state_is n1 VI_1 master || fail "n1 left MASTER while checkerd was stopped: $(prop n1 VI_1 LastReason)"
kill -CONT "$checkerd_PID"
wait_for 10 eval '[ "$(stats_runs)" -gt "$runs" ]' || fail "checkerd does not run checks after SIGCONT"
check_is chk_up up || fail "chk_up is $(check_prop chk_up State) after SIGCONT"
assert_eq "$(prop n1 VI_1 LastTransition)" "$lt" "n1 LastTransition across checkerd's SIGSTOP"
grep -q "DBus.Error.NoReply\|Reading State of check" "$TEST_TMP/vrrpd_n1.log" && log "(vrrpd saw a slow checkerd reply)"
log "fault: SIGSTOP checkerd 10 s, SIGCONT -> vrrpd kept master (no transition; checkerd's name stayed), checkerd runs on ($runs -> $(stats_runs)), chk_up up"
log "PASS"
