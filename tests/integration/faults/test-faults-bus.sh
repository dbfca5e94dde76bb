#!/bin/bash
# Fault: dbus-daemon restarted under the running daemons (issue 11).
# vrrpd ×2 (a master/backup pair in namespaces, tracking a check of checkerd),
# checkerd and vigil-notify share one private bus; the bus is killed and a new
# one started on the same socket, once after 0.5 s and once after 3 s (the
# daemons back off meanwhile). Expected: no daemon exits; each reconnects,
# owns its name again and serves the same objects with the same properties;
# VRRP ran on the wire throughout (adverts counted on, no transition, the
# client's ARP for the VIP answered by the master only, the VIP never on
# both nodes); checks kept running (run counter kept and growing); the
# tracked check never went missing; vigil-notify replays the current state
# (unchanged here, so no script runs twice).
# ipvsd's side (table untouched, health resync) runs in the VM: tests/vm/faults-ipvs.sh.
TEST_NAME=faults-bus
NET=10.81.0
. "$(dirname "$0")/faults-lib.sh"
[ -x "$NOTIFY" ] || fail "$NOTIFY not built"

bus_start
vrrp_lan n1 n2
BUSNAME[n1]=org.vigil.Vrrp1     # the name vigil-notify follows
RUNS=$TEST_TMP/runs.log
cat > "$TEST_TMP/rec.sh" <<SH
#!/bin/sh
echo "replay=\$VIGIL_NOTIFY_REPLAY \$*" >> "$RUNS"
SH
chmod +x "$TEST_TMP/rec.sh"
for n in n1 n2; do
    prio=150; [ $n = n2 ] && prio=100
    ADVERT=100ms write_conf "$TEST_TMP/$n.yaml" $prio "track:" "  checks: [{name: chk_up}]"
    cat >> "$TEST_TMP/$n.yaml" <<YAML
checks:
  chk_up: {type: exec, command: [/bin/true], interval: 200ms}
notify:
  - instance: VI_1
    notify_master: [$TEST_TMP/rec.sh, master]
    notify_backup: [$TEST_TMP/rec.sh, backup]
YAML
done
mac1=$(node_mac n1)

daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/n1.yaml"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
wait_for 10 check_is chk_up up || fail "chk_up not up"
daemon_start notify "$NOTIFY" -c "$TEST_TMP/n1.yaml"
node_start n2 "$TEST_TMP/n2.yaml"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 10
wait_state n2 VI_1 backup 5
wait_for 10 grep -q "replay=0 master" "$RUNS" || fail "vigil-notify did not run notify_master: $(cat "$RUNS")"

names="org.vigil.Vrrp1 org.vigil.Vrrp1.n2 org.vigil.Checker1"
stats_runs() { $BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Stats |
               tr ' ' '\n' | tr -d '"' | awk 'prev == "runs" { print; exit } { prev = $0 }'; }

for gap in 0.5 3; do
    for nm in $names; do bus_snapshot "$nm" > "$TEST_TMP/before.$nm"; done
    lt1=$(prop n1 VI_1 LastTransition); lt2=$(prop n2 VI_1 LastTransition)
    tx1=$(counter n1 VI_1 tx_adverts); rx2=$(counter n2 VI_1 rx_adverts); runs=$(stats_runs)
    [ -n "$tx1" ] && [ -n "$runs" ] || fail "could not read counters before the restart"
    : > "$RUNS"
    pids="$checkerd_PID $notify_PID $(node_pid n1) $(node_pid n2)"
    probe_vip "$(awk -v g="$gap" 'BEGIN { print int(g + 5) "s" }')" "$TEST_TMP/probe.$gap"
    probe=$PROBE_PID
    sample_vips "$TEST_TMP/vips.$gap" n1 n2
    sleep 1
    bus_restart "$gap"
    for nm in $names; do
        wait_for 20 bus_has_name "$nm" || fail "$nm did not come back on the new bus"
    done
    wait $probe
    kill "$SAMPLE_PID"
    for p in $pids; do kill -0 "$p" 2>/dev/null || fail "a daemon (pid $p) exited on the bus restart"; done
    for nm in $names; do
        wait_for 10 eval 'bus_snapshot "$nm" > "$TEST_TMP/after.$nm"; cmp -s "$TEST_TMP/before.$nm" "$TEST_TMP/after.$nm"' ||
            fail "$nm: objects or properties differ after the bus restart: $(diff "$TEST_TMP/before.$nm" "$TEST_TMP/after.$nm" | head -20)"
    done
    assert_eq "$(prop n1 VI_1 LastTransition)" "$lt1" "n1 LastTransition (a transition happened)"
    assert_eq "$(prop n2 VI_1 LastTransition)" "$lt2" "n2 LastTransition (a transition happened)"
    tx1b=$(counter n1 VI_1 tx_adverts); rx2b=$(counter n2 VI_1 rx_adverts)
    [ "$tx1b" -gt "$tx1" ] && [ "$rx2b" -gt "$rx2" ] || fail "adverts did not go on: n1 tx $tx1 -> $tx1b, n2 rx $rx2 -> $rx2b"
    wait_for 5 eval '[ "$(stats_runs)" -gt "$runs" ]' || fail "checkerd's run counter did not go on from $runs ($(stats_runs))"
    split=$(probe_split "$TEST_TMP/probe.$gap"); owners=$(probe_owners "$TEST_TMP/probe.$gap")
    answered=$(grep -c '^arp' "$TEST_TMP/probe.$gap")
    [ "$split" = 0 ] || fail "ARP answered by both nodes $split time(s): $(probe_split_detail "$TEST_TMP/probe.$gap")"
    assert_eq "$owners" "$mac1 " "who answered ARP for the VIP"
    ov=$(overlap "$TEST_TMP/vips.$gap"); samples=$(wc -l < "$TEST_TMP/vips.$gap")
    [ "$ov" = 0 ] || fail "VIP on both nodes in $ov samples"
    grep -q "Lost the connection to the bus" "$TEST_TMP/vrrpd_n1.log" || fail "vrrpd did not log the lost bus"
    grep -q "Back on the bus" "$TEST_TMP/checkerd.log" || fail "checkerd did not log its reconnection"
    grep -q -- "-> missing\|did not come back" "$TEST_TMP/vrrpd_n1.log" "$TEST_TMP/vrrpd_n2.log" &&
        fail "a tracked check went missing: $(grep -h -- "-> missing\|did not come back" "$TEST_TMP"/vrrpd_n*.log | head -5)"
    # the replay reads the state again; the same state as last notified runs nothing
    wait_for 10 eval 'sed -n "/Back on the bus/,\$p" "$TEST_TMP/notify.log" | grep -q "Replaying INSTANCE VI_1: master"' ||
        fail "vigil-notify did not replay the current state after reconnecting"
    grep -q "Replayed state of VI_1 is the one last notified" "$TEST_TMP/notify.log" || fail "replay of VI_1 not compared"
    [ ! -s "$RUNS" ] || fail "vigil-notify ran scripts for a state that did not change: $(cat "$RUNS")"
    : > "$TEST_TMP/notify.log"
    log "fault: dbus-daemon restarted (down ${gap}s) under vrrpd x2, checkerd, vigil-notify -> all reconnected" \
        "(same objects/properties), pids unchanged, n1 master throughout (LastTransition kept, tx_adverts $tx1 -> $tx1b)," \
        "checks ran on (runs $runs -> $(stats_runs)), ARP: $answered answers all from n1, split=0," \
        "VIP overlap 0/$samples samples, vigil-notify replayed VI_1=master (no script: unchanged)"
done
log "PASS"
