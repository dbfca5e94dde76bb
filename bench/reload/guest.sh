#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs in the tests/vm guest (ip_vs):  guest.sh N_INSTANCES N_REAL_SERVERS RESULTS_FILE
# Reload of a large configuration, vigil against keepalived, same config:
# N_INSTANCES VRRP instances (250 per veth, one VIP each, alone on their LAN
# so each becomes master) and N_REAL_SERVERS real servers (100 per virtual
# server, no health checks: the reload is measured, not the checkers). Once
# everything is up (adverts every 3 s for both: with 1 s, a starved guest
# made vrrpd see itself stalled and withhold VIPs, by design, so "up" never
# came), the config is edited (one real server's weight 1 → 2, one
# instance gets a second VIP) and reloaded:
#   vigil      Reload() on org.vigil.Vrrp1 and org.vigil.Ipvs1 at once (busctl):
#              round trip = both calls returned
#   keepalived SIGHUP to its parent
# applied = both edits visible in the kernel (ipvsadm -Ln of that service,
# ip addr of that interface; polled, so ~50-100 ms resolution under emulation).
NI=$1 NR=$2 OUT=$3
TEST_NAME=bench-reload
. "$(dirname "$0")/../../tests/vm/ipvs/lib-ipvs.sh"
. "$(dirname "$0")/../lib.sh"
require_cmd keepalived
bus_start
ipvsadm -C
PER_IF=250 PER_VS=100
NIF=$(( (NI + PER_IF - 1) / PER_IF ))
NVS=$(( (NR + PER_VS - 1) / PER_VS ))
for (( k = 0; k < NIF; k++ )); do
    ip link add "rl$k" type veth peer name "rp$k"
    ip link set "rp$k" up; ip link set "rl$k" up
    ip addr add "10.$((80 + k)).0.1/16" dev "rl$k"
    cleanup_add "ip link del rl$k"
done
ip route add 10.60.0.0/16 dev lo 2>/dev/null   # real servers: "unicast" for IPVS (NAT)

vip() { echo "10.$((80 + $1 / PER_IF)).1.$(( $1 % PER_IF + 1 ))"; }
rsaddr() { echo "10.60.$(( $1 / 250 )).$(( $1 % 250 + 1 ))"; }

gen_vigil() { # → stdout
    echo "vrrp:"; echo "  instances:"
    awk -v ni="$NI" -v per="$PER_IF" 'BEGIN { for (i = 0; i < ni; i++)
        printf "    VI_%d: {interface: rl%d, virtual_router_id: %d, priority: 150, advert_interval: 3s, virtual_addresses: [{address: 10.%d.1.%d/32}]}\n",
            i, int(i / per), i % per + 1, 80 + int(i / per), i % per + 1 }'
    echo "virtual_servers:"
    awk -v nr="$NR" -v pv="$PER_VS" 'BEGIN { for (i = 0; i < nr; i++) {
        if (i % pv == 0) printf "  - {address: 10.70.0.%d, port: 80, scheduler: wrr, forwarding: nat, real_servers: [\n", int(i / pv) + 1
        printf "      {address: 10.60.%d.%d, port: 8080, weight: 1}%s\n", int(i / 250), i % 250 + 1, (i % pv == pv - 1 || i == nr - 1) ? "]}" : "," } }'
}
gen_keepalived() {
    echo "global_defs { router_id bench }"
    awk -v ni="$NI" -v per="$PER_IF" 'BEGIN { for (i = 0; i < ni; i++) {
        printf "vrrp_instance VI_%d {\n  state BACKUP\n  interface rl%d\n  virtual_router_id %d\n  priority 150\n  advert_int 3\n", i, int(i / per), i % per + 1
        printf "  virtual_ipaddress {\n    10.%d.1.%d/32\n  }\n}\n", 80 + int(i / per), i % per + 1 } }'
    awk -v nr="$NR" -v pv="$PER_VS" 'BEGIN { for (i = 0; i < nr; i++) {
        if (i % pv == 0) printf "virtual_server 10.70.0.%d 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n", int(i / pv) + 1
        printf "  real_server 10.60.%d.%d 8080 {\n    weight 1\n  }\n", int(i / 250), i % 250 + 1
        if (i % pv == pv - 1 || i == nr - 1) print "}" } }'
}
# the edits: real server 0 (10.60.0.1 in 10.70.0.1) weight 2; VI_0 a second VIP 10.95.0.1
edit_vigil() {
    sed -i 's/{address: 10.60.0.1, port: 8080, weight: 1}/{address: 10.60.0.1, port: 8080, weight: 2}/' "$1"
    sed -i 's|^\(    VI_0: .*virtual_addresses: \[{address: 10.80.1.1/32}\)\]}|\1, {address: 10.95.0.1/32}]}|' "$1"
}
edit_keepalived() {
    awk '/real_server 10.60.0.1 8080/ { rs = 1 } rs && /weight 1/ { sub(/weight 1/, "weight 2"); rs = 0 }
         /^    10.80.1.1\/32$/ { print; print "    10.95.0.1/32"; next } { print }' "$1" > "$1.new" && mv "$1.new" "$1"
}

n_vips() { ip -o -4 addr show | grep -c ' 10\.8[0-9]\.1\.'; }
dests() { ipvsadm -Ln | grep -c -- '->.*Masq'; }
all_up() { [ "$(dests)" -ge "$NR" ] && [ "$(n_vips)" -ge "$NI" ]; }
weight_edit() { ipvsadm -Ln -t 10.70.0.1:80 | grep -q '10.60.0.1:8080 *Masq *2 '; }
vip_edit() { ip -o -4 addr show dev rl0 | grep -q ' 10.95.0.1/32'; }
ms_since() { local t=${EPOCHREALTIME/./}; echo $(( (t - $1) / 1000 )); }
# wait_applied T0: sets T_W and T_V (ms after T0) once each edit is in the kernel
wait_applied() {
    T_W= T_V=
    local i
    for (( i = 0; i < 6000; i++ )); do
        [ -n "$T_W" ] || { weight_edit && T_W=$(ms_since "$1"); }
        [ -n "$T_V" ] || { vip_edit && T_V=$(ms_since "$1"); }
        [ -n "$T_W" ] && [ -n "$T_V" ] && return 0
        sleep 0.05
    done
    fail "edits not applied within 300 s (weight: ${T_W:-no}, VIP: ${T_V:-no})"
}

# ---- vigil
cfg=$TEST_TMP/vigil.yaml
gen_vigil > "$cfg"
log "vigil: $(wc -l < "$cfg") config lines, $NI instances on $NIF links, $NR real servers in $NVS services"
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start vrrpd "$VRRPD" -c "$cfg" --log-level=info
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start ipvsd "$IPVSD" -c "$cfg" --state-dir "$TEST_TMP/state" --log-level=info
wait_for 600 all_up || fail "vigil: $NI instances, $NR real servers not up after 600 s ($(dests) dests, $(n_vips) VIPs)"
wait_for 120 grep -q "started (config" "$TEST_TMP/ipvsd.log" || fail "ipvsd did not start"
sleep 5
edit_vigil "$cfg"
t0=${EPOCHREALTIME/./}
$BUSCTL --timeout=300 call org.vigil.Vrrp1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager Reload > "$TEST_TMP/r1" 2>&1 &
p1=$!
$BUSCTL --timeout=300 call org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Reload > "$TEST_TMP/r2" 2>&1 &
p2=$!
wait $p1 || fail "vrrpd Reload: $(cat "$TEST_TMP/r1")"
t_v1=$(ms_since "$t0")
wait $p2 || fail "ipvsd Reload: $(cat "$TEST_TMP/r2")"
t_rt=$(ms_since "$t0")
wait_applied "$t0"
v_w=$T_W v_v=$T_V
log "vigil: Reload round trip ${t_rt} ms (vrrpd ${t_v1} ms), weight in kernel ${v_w} ms, VIP ${v_v} ms"
kill -0 "$vrrpd_PID" && kill -0 "$ipvsd_PID" || fail "a vigil daemon died during reload"
stop_pid "$vrrpd_PID" vrrpd; stop_pid "$ipvsd_PID" ipvsd
ipvsadm -C
for (( k = 0; k < NIF; k++ )); do ip addr flush dev "rl$k" scope global; ip addr add "10.$((80 + k)).0.1/16" dev "rl$k"; done
nft delete table inet vigil_vrrp 2>/dev/null; nft delete table arp vigil_vrrp 2>/dev/null

# ---- keepalived
kconf=$TEST_TMP/keepalived.conf
gen_keepalived > "$kconf"
keepalived -n -l -D -f "$kconf" -p "$TEST_TMP/k.pid" -r "$TEST_TMP/kv.pid" -c "$TEST_TMP/kc.pid" > "$TEST_TMP/keepalived.log" 2>&1 &
KPID=$!
cleanup_add "kill $KPID"
wait_for 600 all_up || fail "keepalived: $NI instances, $NR real servers not up after 600 s ($(dests) dests, $(n_vips) VIPs)"
sleep 5
edit_keepalived "$kconf"
t0=${EPOCHREALTIME/./}
kill -HUP "$KPID"
wait_applied "$t0"
k_w=$T_W k_v=$T_V
log "keepalived: SIGHUP → weight in kernel ${k_w} ms, VIP ${k_v} ms"
stop_pid "$KPID" keepalived

max() { [ "$1" -ge "$2" ] && echo "$1" || echo "$2"; }
cond="$NI instances, $NR real servers"
{
    printf 'reload: edit applied in the kernel, weight and VIP (%s; vigil Reload() on vrrpd+ipvsd, keepalived SIGHUP)\tms\t%s\t%s\t\n' \
        "$cond" "$(max "$v_w" "$v_v")" "$(max "$k_w" "$k_v")"
    printf 'reload: IPVS weight edit in the kernel\tms\t%s\t%s\t\n' "$v_w" "$k_w"
    printf 'reload: added VIP in the kernel\tms\t%s\t%s\t\n' "$v_v" "$k_v"
    printf 'reload: vigil Reload() round trip, both daemons (keepalived: SIGHUP has no reply)\tms\t%s\t\t\n' "$t_rt"
} > "$OUT"
cat "$OUT"
# the logs beside the results: where the time went
RAW=${OUT%.new}; RAW=${RAW%.tsv}
for f in vrrpd.log ipvsd.log keepalived.log; do cp "$TEST_TMP/$f" "$RAW-$f"; done
echo "PASS: bench done"
