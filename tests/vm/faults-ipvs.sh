#!/bin/bash
# Fault injection for vigil-ipvsd (issue 11), in the qemu guest (real ip_vs),
# with checkerd health over a private bus:
#  1. the table changed by hand (ipvsadm -e weight, -d a destination, -D a
#     service): reconciled back within the reconcile interval (2 s here);
#  2. dbus-daemon restarted under checkerd and ipvsd: the table is untouched
#     through the outage (sampled), both reconnect with the same objects; a
#     real server that fails while the bus is down is applied after the
#     reconnect (ipvsd re-reads the checks), and health signals flow again;
#  3. SIGKILL of ipvsd: the table stays; the restart adopts it (no change),
#     objects back;
#  4. SIGSTOP of ipvsd for 10 s: the table stays; after SIGCONT it answers
#     and reconciles drift again;
#  5. restart in a loop (SIGTERM/SIGKILL alternately; ×3 here: one start
#     costs seconds under TCG emulation, FAULTS_LOOP=50 for the full count):
#     one ipvsd left, the table exactly the configured one.
#  Argument: "table-bus" (1, 2), "signals" (3, 4, 5) or nothing (all): the vm
#  suite runs the two halves as separate tests to stay within its time budget.
TEST_NAME=faults-ipvs
PART=${1:-all}
. "$(dirname "$0")/ipvs/lib-ipvs.sh"
require_cmd busybox
bus_start

d=$(netns_add dir)
rs=$(netns_add rs)
veth_add "$d" eth0 "$rs" eth0
ip -n "$d" addr add 10.97.0.1/24 dev eth0
for a in 11 12; do ip -n "$rs" addr add 10.97.0.$a/24 dev eth0; done
www=$TEST_TMP/www; mkdir -p "$www"; echo ok > "$www/index.html"
httpd() { # start|stop N
    if [ "$1" = start ]; then
        ip netns exec "$rs" busybox httpd -f -p 10.97.0.$2:80 -h "$www" &
        eval "HTTPD_$2=$!"; cleanup_add "kill $!"
    else
        local v="HTTPD_$2"; kill "${!v}"; wait "${!v}" 2>/dev/null || true
    fi
}
httpd start 11; httpd start 12

cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<'YAML'
ipvs:
  reconcile_interval: 2s
virtual_servers:
  - address: 10.97.0.100
    port: 80
    protocol: tcp
    scheduler: wrr
    forwarding: nat
    real_servers:
      - {address: 10.97.0.11, port: 80, weight: 2, check: {type: http, path: /, connect_timeout: 1s, interval: 500ms, fall: 1, rise: 1}}
      - {address: 10.97.0.12, port: 80, weight: 3, check: {type: http, path: /, connect_timeout: 1s, interval: 500ms, fall: 1, rise: 1}}
  - address: 10.97.0.101
    port: 443
    protocol: tcp
    scheduler: rr
    forwarding: nat
    real_servers:
      - {address: 10.97.0.11, port: 443}
YAML
start_d() { # NAME BIN
    VIGIL_STATE_DIR=$TEST_TMP/state daemon_start_ns "$d" "$1" "$2" -c "$cfg"
}
dump() { ip netns exec "$d" ipvsadm -Sn | sort; }
weight() { # VIP:PORT RS:PORT → weight or absent
    local w
    w=$(ip netns exec "$d" ipvsadm -Ln -t "$1" 2>/dev/null | awk -v rs="$2" '$2==rs {print $4}')
    echo "${w:-absent}"
}
weight_is() { [ "$(weight "$1" "$2")" = "$3" ]; }
table_is_good() { dump > "$TEST_TMP/now"; cmp -s "$TEST_TMP/good" "$TEST_TMP/now"; }

start_d checkerd "$CHECKERD"
start_d ipvsd "$IPVSD"
wait_for 30 bus_has_name org.vigil.Ipvs1 || fail "ipvsd did not take its name"
wait_for 30 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
wait_for 30 weight_is 10.97.0.100:80 10.97.0.11:80 2 || fail "service not programmed: $(dump)"
wait_for 10 weight_is 10.97.0.100:80 10.97.0.12:80 3 || fail "rs2 weight"
dump > "$TEST_TMP/good"
log "table: $(tr '\n' ';' < "$TEST_TMP/good")"

if [ "$PART" != signals ]; then
# ---- 1. changed by hand -------------------------------------------------
ip netns exec "$d" ipvsadm -e -t 10.97.0.100:80 -r 10.97.0.11:80 -m -w 7 || fail "ipvsadm -e"
wait_for 15 weight_is 10.97.0.100:80 10.97.0.11:80 2 || fail "weight changed by hand not reconciled: $(weight 10.97.0.100:80 10.97.0.11:80)"
ip netns exec "$d" ipvsadm -d -t 10.97.0.100:80 -r 10.97.0.12:80 || fail "ipvsadm -d"
wait_for 15 weight_is 10.97.0.100:80 10.97.0.12:80 3 || fail "destination deleted by hand not re-added"
ip netns exec "$d" ipvsadm -D -t 10.97.0.101:443 || fail "ipvsadm -D"
wait_for 15 table_is_good || fail "service deleted by hand not re-created: $(diff "$TEST_TMP/good" "$TEST_TMP/now")"
log "fault: ipvsadm -e weight 2->7, -d a destination, -D a service (by hand) -> each reconciled back to the config (reconcile_interval 2s)"

# ---- 2. dbus-daemon restarted -------------------------------------------
svc_tree() { $BUSCTL tree --list org.vigil.Ipvs1 2>/dev/null | sort; }
svc_tree > "$TEST_TMP/tree.before"
[ -s "$TEST_TMP/tree.before" ] || fail "no ipvsd objects"
( while :; do dump > "$TEST_TMP/sample"; cmp -s "$TEST_TMP/good" "$TEST_TMP/sample" || { cp "$TEST_TMP/sample" "$TEST_TMP/changed"; }; sleep 0.05; done ) &
sampler=$!
cleanup_add "kill $sampler"
kill "$BUS_PID"; wait "$BUS_PID" 2>/dev/null
rm -f "$TEST_TMP/bus.sock" "$TEST_TMP/bus.addr"
# while the bus is away, rs1 fails: checkerd sees it, ipvsd cannot hear it (fail-static)
httpd stop 11
wait_for 15 grep -q "Lost the connection to the bus" "$TEST_TMP/ipvsd.log" || fail "ipvsd did not notice the bus going"
wait_for 20 eval 'grep "10.97.0.11" "$TEST_TMP/checkerd.log" | grep -q "→ down"' || fail "checkerd did not judge rs1 down"
kill "$sampler"; wait "$sampler" 2>/dev/null
[ -e "$TEST_TMP/changed" ] && fail "the table changed while the bus was down: $(diff "$TEST_TMP/good" "$TEST_TMP/changed")"
dbus-daemon --config-file="$TEST_TMP/bus.conf" --nofork --print-address=3 3>"$TEST_TMP/bus.addr" >>"$TEST_TMP/dbus.log" 2>&1 &
BUS_PID=$!
cleanup_add "kill $BUS_PID"
wait_for 10 test -s "$TEST_TMP/bus.addr" || fail "dbus-daemon did not restart"
wait_for 30 bus_has_name org.vigil.Ipvs1 || fail "ipvsd did not come back on the new bus"
wait_for 30 bus_has_name org.vigil.Checker1 || fail "checkerd did not come back on the new bus"
kill -0 "$ipvsd_PID" && kill -0 "$checkerd_PID" || fail "a daemon exited on the bus restart"
wait_for 10 eval 'svc_tree > "$TEST_TMP/tree.after"; cmp -s "$TEST_TMP/tree.before" "$TEST_TMP/tree.after"' ||
    fail "ipvsd's objects differ after the bus restart: $(diff "$TEST_TMP/tree.before" "$TEST_TMP/tree.after")"
# the verdict made during the outage reaches the table after the reconnect (re-read)
wait_for 20 weight_is 10.97.0.100:80 10.97.0.11:80 0 || fail "rs1 failed during the outage: weight $(weight 10.97.0.100:80 10.97.0.11:80) after the reconnect, expected 0"
# and signals flow again: rs1 back, rs2 down and back
httpd start 11
wait_for 20 weight_is 10.97.0.100:80 10.97.0.11:80 2 || fail "rs1 back: weight not restored after the reconnect"
httpd stop 12
wait_for 20 weight_is 10.97.0.100:80 10.97.0.12:80 0 || fail "rs2 down after the reconnect: weight not 0"
httpd start 12
wait_for 20 weight_is 10.97.0.100:80 10.97.0.12:80 3 || fail "rs2 back after the reconnect"
wait_for 10 table_is_good || fail "table not back to the configured one"
log "fault: dbus-daemon restarted under checkerd and ipvsd -> table unchanged while the bus was down (sampled every 50 ms)," \
    "both reconnected (same pids, same objects), rs1's failure during the outage applied after the reconnect (weight 0)," \
    "health changes flow again (rs1 2, rs2 0 -> 3)"

fi

if [ "$PART" != table-bus ]; then
svc_tree() { $BUSCTL tree --list org.vigil.Ipvs1 2>/dev/null | sort; }
svc_tree > "$TEST_TMP/tree.before"
# ---- 3. SIGKILL ipvsd ---------------------------------------------------
kill -KILL "$ipvsd_PID"; wait "$ipvsd_PID" 2>/dev/null
table_is_good || fail "the table changed when ipvsd was killed"
start_d ipvsd "$IPVSD"
wait_for 30 bus_has_name org.vigil.Ipvs1 || fail "restarted ipvsd did not take its name"
table_is_good || fail "the restart changed the table: $(diff "$TEST_TMP/good" "$TEST_TMP/now")"
wait_for 10 eval 'svc_tree > "$TEST_TMP/tree.after"; cmp -s "$TEST_TMP/tree.before" "$TEST_TMP/tree.after"' || fail "objects not back after the restart"
log "fault: SIGKILL ipvsd, restart -> table untouched throughout, the restart adopted it, objects back"

# ---- 4. SIGSTOP ipvsd 10 s ----------------------------------------------
kill -STOP "$ipvsd_PID"
sleep 10
table_is_good || fail "the table changed while ipvsd was stopped"
kill -CONT "$ipvsd_PID"
out=$(ipvs_call Dump) || fail "ipvsd does not answer after SIGCONT"
ip netns exec "$d" ipvsadm -e -t 10.97.0.100:80 -r 10.97.0.12:80 -m -w 9
wait_for 15 weight_is 10.97.0.100:80 10.97.0.12:80 3 || fail "no reconcile after SIGCONT"
log "fault: SIGSTOP ipvsd 10 s, SIGCONT -> table untouched, Dump answers, drift reconciled again"

# ---- 5. restart x50 -----------------------------------------------------
N=${FAULTS_LOOP:-3}
t0=$(now_ns)
for i in $(seq 1 "$N"); do
    if [ $((i % 2)) = 0 ]; then sig=KILL; else sig=TERM; fi
    kill -$sig "$ipvsd_PID"
    wait "$ipvsd_PID" 2>/dev/null
    start_d ipvsd "$IPVSD"
    wait_for 30 bus_has_name org.vigil.Ipvs1 || fail "ipvsd run $i did not take its name"
done
t1=$(now_ns)
n=0; for p in /proc/[0-9]*; do tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "^$IPVSD " && n=$((n + 1)); done
assert_eq "$n" 1 "ipvsd processes after $N restarts"
wait_for 10 table_is_good || fail "table after $N restarts: $(diff "$TEST_TMP/good" "$TEST_TMP/now")"
log "fault: ipvsd restarted x$N (SIGTERM/SIGKILL alternately, $(( (t1 - t0) / 1000000 )) ms under emulation) -> 1 ipvsd process, the table exactly the configured one"
fi
log "PASS"
