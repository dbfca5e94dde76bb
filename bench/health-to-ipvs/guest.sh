#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs in the tests/vm guest (needs ip_vs): bench/health-to-ipvs/run boots it.
#   guest.sh WATCH REPS INTERVAL_S FALL RESULTS_FILE
# Real servers: busybox httpd in a namespace (10.98.0.11-13:80). Director: the
# guest's root namespace. One after the other, same backends and settings:
#   vigil      vigil-checkerd (http checks) + vigil-ipvsd on a private bus
#   keepalived keepalived -C (real_server HTTP_GET)
# Each repetition SIGKILLs one real server's httpd (t_stop, $EPOCHREALTIME
# just before kill), waits for weight 0 in the kernel, restarts it and waits for
# weight 1 (the restart's exec is slow and variable under emulation: the
# way up is timed from the wire). Kernel times come from WATCH (ipvs-watch, /proc/net/ip_vs every
# 1 ms, CLOCK_REALTIME), wire times from tcpdump -tt in the real servers'
# namespace (the RST that answered the failing probe, the SYN-ACK of the
# first good one), and for vigil the
# StateChanged signal's arrival from dbus-monitor (time=).
# Settings are normalized so both declare a server down after FALL failed
# probes INTERVAL apart: vigil interval=I fall=FALL retry=0; keepalived
# delay_loop=I retry=FALL-1 delay_before_retry=I (its retries are the
# extra probes). Both bring a server back after one good probe.
WATCH=$1 REPS=$2 IVL=$3 FALL=$4 OUT=$5
TEST_NAME=bench-health-to-ipvs
. "$(dirname "$0")/../../tests/vm/ipvs/lib-ipvs.sh"
. "$(dirname "$0")/../lib.sh"
require_cmd tcpdump dbus-monitor keepalived busybox
[ -x "$WATCH" ] || fail "$WATCH not built"
bus_start
ipvsadm -C

RS=(11 12 13)
rs=$(netns_add rs)
veth_add "" h2i0 "$rs" eth0
ip addr add 10.98.0.1/24 dev h2i0
for a in "${RS[@]}"; do ip -n "$rs" addr add 10.98.0.$a/24 dev eth0; done
www=$TEST_TMP/www; mkdir -p "$www"; echo ok > "$www/index.html"

declare -A HPID
httpd_start() { # N: starts it (T_SPAWN: just before), returns once its socket listens
    T_SPAWN=$EPOCHREALTIME
    ip netns exec "$rs" busybox httpd -f -p 10.98.0.$1:80 -h "$www" &
    HPID[$1]=$!
    cleanup_add "kill -9 $!"
    # /proc/PID/net/tcp is the process's namespace: local address little-endian hex
    local want state i line
    printf -v want '%02X%02X%02X%02X:0050' "$1" 0 98 10
    for (( i = 0; i < 200000; i++ )); do
        while read -r _ line _ state _; do
            [ "$line" = "$want" ] && [ "$state" = 0A ] && return 0
        done < "/proc/${HPID[$1]}/net/tcp" 2>/dev/null
    done
    fail "httpd 10.98.0.$1 never listened"
}
# weight VIP_HEX RS_HEX: sets W from /proc/net/ip_vs (bash builtins only: a fork
# costs milliseconds under emulation)
weight() {
    local a b c d cur=
    W=absent
    while read -r a b c d _; do
        case $a in TCP|UDP|SCTP|FWM) cur=$b ;; "->") [ "$cur" = "$1" ] && [ "$b" = "$2" ] && W=$d ;; esac
    done < /proc/net/ip_vs
}
wait_weight() { # VIP_HEX RS_HEX WEIGHT TIMEOUT_S
    local i
    for (( i = 0; i < $4 * 50; i++ )); do
        weight "$1" "$2"; [ "$W" = "$3" ] && return 0
        sleep 0.02
    done
    return 1
}
phase_sleep() { # a random time in [0, INTERVAL): a random phase against the probe schedule
    local f; printf -v f '%d.%02d' $(( RANDOM % IVL )) $(( RANDOM % 100 )); sleep "$f"
}
hex() { printf '%02X%02X%02X%02X:%04X' ${1//./ } "$2"; }

for a in "${RS[@]}"; do httpd_start "$a"; done

# the wire: RSTs answering a probe to a dead server, SYN-ACKs accepting one (src port 80)
ip netns exec "$rs" tcpdump -Z root -l -tt -n -i eth0 'tcp src port 80 and tcp[tcpflags] & (tcp-rst|tcp-syn) != 0' \
    > "$TEST_TMP/wire.txt" 2> "$TEST_TMP/tcpdump.log" &
cleanup_add "kill $!"
"$WATCH" -i 1000 > "$TEST_TMP/kernel.txt" 2> "$TEST_TMP/watch.log" &
WPID=$!
cleanup_add "kill $WPID"
wait_for 10 grep -q listening "$TEST_TMP/tcpdump.log" || fail "tcpdump did not start: $(cat "$TEST_TMP/tcpdump.log")"

# run_reps NAME VIP: the stop/start cycles; appends "NAME service dest t_stop t_spawn" lines
run_reps() {
    local name=$1 vip=$2 r n vh rh
    vh=$(hex "$vip" 80)
    for a in "${RS[@]}"; do
        wait_weight "$vh" "$(hex 10.98.0.$a 80)" 1 120 || fail "$name: 10.98.0.$a not in the table with weight 1: $(ipvsadm -Ln)"
    done
    for (( r = 0; r < REPS; r++ )); do
        n=${RS[r % ${#RS[@]}]}
        rh=$(hex 10.98.0.$n 80)
        phase_sleep
        local t_stop=$EPOCHREALTIME
        kill -9 "${HPID[$n]}"
        wait "${HPID[$n]}" 2>/dev/null
        wait_weight "$vh" "$rh" 0 $(( IVL * FALL * 10 + 30 )) || fail "$name rep $r: 10.98.0.$n never went to weight 0 (now $W)"
        # weight 0 came right after a probe: restart at a random phase too
        phase_sleep
        httpd_start "$n"
        wait_weight "$vh" "$rh" 1 $(( IVL * 10 + 30 )) || fail "$name rep $r: 10.98.0.$n never came back (weight $W)"
        echo "$name TCP/$vh $rh $t_stop $T_SPAWN" >> "$TEST_TMP/reps.txt"
        log "$name rep $((r + 1))/$REPS done"
    done
}

# ---- vigil
cfg=$TEST_TMP/vigil.yaml
{
    echo "virtual_servers:"
    echo "  - {address: 10.98.0.100, port: 80, protocol: tcp, scheduler: rr, forwarding: nat, delay_loop: ${IVL}s, real_servers: ["
    for a in "${RS[@]}"; do
        echo "      {address: 10.98.0.$a, port: 80, check: {type: http, path: /, status: [200], connect_timeout: ${IVL}s, fall: $FALL, rise: 1, retry: 0}},"
    done
    echo "    ]}"
} > "$cfg"
dbus-monitor --address "$DBUS_SYSTEM_BUS_ADDRESS" "type='signal',interface='org.vigil.Checker1.Check',member='StateChanged'" \
    > "$TEST_TMP/signals.txt" 2>&1 &
cleanup_add "kill $!"
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start checkerd "$CHECKERD" -c "$cfg" --log-level=info
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start ipvsd "$IPVSD" -c "$cfg" --state-dir "$TEST_TMP/state" --log-level=info
# ready: both daemons past their start (ipvsd subscribes to the checks then)
wait_for 120 grep -q "started (config" "$TEST_TMP/ipvsd.log" || fail "ipvsd did not start"
wait_for 60 grep -q "started (config" "$TEST_TMP/checkerd.log" || fail "checkerd did not start"
run_reps vigil 10.98.0.100
stop_pid "$checkerd_PID" checkerd; stop_pid "$ipvsd_PID" ipvsd
ipvsadm -C

# ---- keepalived
kconf=$TEST_TMP/keepalived.conf
{
    echo "global_defs { router_id bench }"
    echo "virtual_server 10.98.0.101 80 {"
    echo "  delay_loop $IVL"; echo "  lb_algo rr"; echo "  lb_kind NAT"; echo "  protocol TCP"
    for a in "${RS[@]}"; do
        printf '  real_server 10.98.0.%s 80 {\n    weight 1\n    inhibit_on_failure\n' "$a"
        # one keyword a line: keepalived's parser is line-based
        printf '    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n'
        printf '      connect_timeout %s\n      retry %s\n      delay_before_retry %s\n    }\n  }\n' "$IVL" "$((FALL - 1))" "$IVL"
    done
    echo "}"
} > "$kconf"
keepalived -C -n -l -D -f "$kconf" -p "$TEST_TMP/k.pid" -c "$TEST_TMP/kc.pid" > "$TEST_TMP/keepalived.log" 2>&1 &
KPID=$!
cleanup_add "kill $KPID"
k_active() { [ "$(grep -c "Activating healthchecker" "$TEST_TMP/keepalived.log")" -ge ${#RS[@]} ]; }
wait_for 60 k_active || fail "keepalived's checker did not start"
run_reps keepalived 10.98.0.101
stop_pid "$KPID" keepalived
ipvsadm -C
sleep 0.1
kill "$WPID"; wait "$WPID" 2>/dev/null

# ---- analysis (awk: the guest has no python)
# per rep: down = stop → weight 0; wire = the last RST from that server
# before weight 0 → weight 0; up = its first SYN-ACK after that (the first
# probe it accepts) → weight 1; sig (vigil) = the first
# StateChanged to "down" after the stop → weight 0.
awk -v out="$OUT" -v ivl="$IVL" -v fall="$FALL" -v reps="$REPS" '
function us(s,   p) { p = index(s, "."); return substr(s, 1, p - 1) * 1000000 + substr(s substr("000000", 1, 6 - (length(s) - p)), p + 1, 6) }
function hexip(h) { return sprintf("%d.%d.%d.%d", ("0x" substr(h,1,2)) + 0, ("0x" substr(h,3,2)) + 0, ("0x" substr(h,5,2)) + 0, ("0x" substr(h,7,2)) + 0) }
FILENAME ~ /kernel.txt$/ { nk++; kt[nk] = $1; ks[nk] = $2; kd[nk] = $3; kw[nk] = $4; next }
FILENAME ~ /wire.txt$/ { nw++; wt[nw] = us($1); split($3, p, "."); wip[nw] = p[1] "." p[2] "." p[3] "." p[4]; wf[nw] = substr($7, 2, 1); next }
FILENAME ~ /signals.txt$/ {
    if ($1 == "signal") { sub("time=", "", $2); st_pending = us($2); argn = 0; next }
    if (st_pending && $1 == "string") { argn++; if (argn == 2) { ns++; stt[ns] = st_pending; sto[ns] = $2; st_pending = 0 } }
    next }
FILENAME ~ /reps.txt$/ { nr++; rn[nr] = $1; rv[nr] = $2; rd[nr] = $3; rs[nr] = us($4); rl[nr] = us($5); next }
function add(name, v) { cnt[name]++; val[name, cnt[name]] = v }
END {
    for (r = 1; r <= nr; r++) {
        d = ""; u = ""
        for (k = 1; k <= nk; k++) if (ks[k] == rv[r] && kd[k] == rd[r] && kt[k] > rs[r] && kw[k] == "0") { d = kt[k]; break }
        for (k = 1; k <= nk; k++) if (ks[k] == rv[r] && kd[k] == rd[r] && kt[k] > d && kw[k] == "1") { u = kt[k]; break }
        if (d == "" || u == "") { printf "rep %d: kernel change not found\n", r > "/dev/stderr"; exit 1 }
        add(rn[r] "_down", (d - rs[r]) / 1000)
        ip = hexip(rd[r]); w = ""; g = ""
        for (k = 1; k <= nw; k++) if (wip[k] == ip && wf[k] == "R" && wt[k] > rs[r] && wt[k] < d) w = wt[k]
        for (k = 1; k <= nw; k++) if (wip[k] == ip && wf[k] == "S" && wt[k] > d) { g = wt[k]; break }
        if (w != "") add(rn[r] "_wire", (d - w) / 1000)
        if (g != "" && g < u) add(rn[r] "_up", (u - g) / 1000)
        if (rn[r] == "vigil") {
            for (k = 1; k <= ns; k++) if (stt[k] > rs[r] && sto[k] == "\"down\"") { add("vigil_sig", (d - stt[k]) / 1000); break }
        }
    }
    n = split("vigil_down keepalived_down vigil_up keepalived_up vigil_wire keepalived_wire vigil_sig", names, " ")
    for (i = 1; i <= n; i++) {
        m = names[i]; c = cnt[m]
        for (a = 1; a <= c; a++) v[a] = val[m, a]
        for (a = 2; a <= c; a++) { x = v[a]; for (b = a - 1; b >= 1 && v[b] > x; b--) v[b + 1] = v[b]; v[b + 1] = x }
        if (c == 0) { p50[m] = "nan"; p99[m] = "nan"; mx[m] = "nan"; continue }
        p50[m] = v[int((c - 1) * 0.50 + 0.5) + 1]; p99[m] = v[int((c - 1) * 0.99 + 0.5) + 1]; mx[m] = v[c]
        printf "%-16s n=%-3d p50 %9.1f ms   p99 %9.1f ms   max %9.1f ms\n", m, c, p50[m], p99[m], mx[m]
    }
    # rows for bench/run: measure<TAB>unit<TAB>vigil<TAB>anchor<TAB>goal
    cond = sprintf("interval %ss, down after %d failed probes, %d reps", ivl, fall, reps)
    printf "health-to-ipvs: server stop to weight 0, p50 (%s)\tms\t%.1f\t%.1f\t\n", cond, p50["vigil_down"], p50["keepalived_down"] > out
    printf "health-to-ipvs: server stop to weight 0, p99\tms\t%.1f\t%.1f\t\n", p99["vigil_down"], p99["keepalived_down"] >> out
    printf "health-to-ipvs: first good probe (SYN-ACK on the wire) to weight 1, p50\tms\t%.1f\t%.1f\t\n", p50["vigil_up"], p50["keepalived_up"] >> out
    printf "health-to-ipvs: first good probe (SYN-ACK on the wire) to weight 1, p99\tms\t%.1f\t%.1f\t\n", p99["vigil_up"], p99["keepalived_up"] >> out
    printf "health-to-ipvs: failing probe (RST on the wire) to weight 0, p50\tms\t%.1f\t%.1f\t\n", p50["vigil_wire"], p50["keepalived_wire"] >> out
    printf "health-to-ipvs: failing probe (RST on the wire) to weight 0, p99\tms\t%.1f\t%.1f\t\n", p99["vigil_wire"], p99["keepalived_wire"] >> out
    printf "health-to-ipvs: StateChanged to weight 0, p50\tms\t%.1f\t\t\n", p50["vigil_sig"] >> out
    printf "health-to-ipvs: StateChanged to weight 0, p99 (keepalived: one process, no bus)\tms\t%.1f\t\tvigil<=5|p99 ≤ 5 ms\n", p99["vigil_sig"] >> out
}' "$TEST_TMP/kernel.txt" "$TEST_TMP/wire.txt" "$TEST_TMP/signals.txt" "$TEST_TMP/reps.txt" || fail "analysis"
# the raw data and the logs beside the results, for whoever doubts a number
RAW=${OUT%.new}; RAW=${RAW%.tsv}
for f in reps.txt kernel.txt wire.txt signals.txt keepalived.log checkerd.log ipvsd.log; do
    cp "$TEST_TMP/$f" "$RAW-$f"
done
echo "PASS: bench done"
