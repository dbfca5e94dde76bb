#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs in the tests/vm guest (keepalived's checker needs ip_vs):
#   guest.sh SETTLE_S RESULTS_FILE
# Idle memory of vigil's daemons against keepalived's processes, with the same
# small setup: one VRRP instance (one VIP) on a veth, one virtual server with
# two real servers (busybox httpd in a namespace) under HTTP checks at 1 s.
# After both have come up and run SETTLE_S seconds: VmRSS and Pss
# (/proc/PID/smaps_rollup: shared library pages split among their users) of
# each process. vigil: vrrpd + checkerd + ipvsd (+ vigil-notify and
# vigil-exporter, listed apart: keepalived has no counterpart to them);
# keepalived: parent + VRRP child + checker child.
SETTLE=$1 OUT=$2
TEST_NAME=bench-idle-rss
. "$(dirname "$0")/../../tests/vm/ipvs/lib-ipvs.sh"
. "$(dirname "$0")/../lib.sh"
require_cmd keepalived busybox
bus_start
ipvsadm -C

rs=$(netns_add rs)
veth_add "" irs0 "$rs" eth0
ip addr add 10.97.0.1/24 dev irs0
ip -n "$rs" addr add 10.97.0.11/24 dev eth0
ip -n "$rs" addr add 10.97.0.12/24 dev eth0
www=$TEST_TMP/www; mkdir -p "$www"; echo ok > "$www/index.html"
for a in 11 12; do
    ip netns exec "$rs" busybox httpd -f -p 10.97.0.$a:80 -h "$www" &
    cleanup_add "kill $!"
done

mem() { # PID → "rss_kB pss_kB"
    local rss pss
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup")
    echo "${rss:-0} ${pss:-0}"
}
weight_up() { ipvsadm -Ln -t "$1:80" | grep -q "10.97.0.12:80 .* 1 "; }

# ---- vigil
cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<YAML
vrrp:
  instances:
    VI_1:
      interface: irs0
      virtual_router_id: 51
      priority: 150
      advert_interval: 1s
      virtual_addresses: [{address: 10.97.0.50/32}]
virtual_servers:
  - address: 10.97.0.50
    port: 80
    scheduler: rr
    forwarding: nat
    delay_loop: 1s
    real_servers:
      - {address: 10.97.0.11, port: 80, check: {type: http, path: /, status: [200], connect_timeout: 1s}}
      - {address: 10.97.0.12, port: 80, check: {type: http, path: /, status: [200], connect_timeout: 1s}}
notify:
  - instance: VI_1
    notify: [/bin/true]
YAML
for d in vrrpd checkerd ipvsd; do
    bin=VRRPD; [ $d = checkerd ] && bin=CHECKERD; [ $d = ipvsd ] && bin=IPVSD
    VIGIL_STATE_DIR=$TEST_TMP/state daemon_start $d "${!bin}" -c "$cfg" --log-level=info
done
daemon_start notify "$VIGIL_BUILD_ROOT/tools/notify/vigil-notify" -c "$cfg" --log-level=info
daemon_start exporter "$VIGIL_BUILD_ROOT/tools/exporter/vigil-exporter" --listen 127.0.0.1:9650 --log-level=info
log "vigil: waiting for the real servers and the VIP"
wait_for 60 weight_up 10.97.0.50 || fail "vigil: real servers not up: $(ipvsadm -Ln)"
wait_for 30 bash -c "ip addr show dev irs0 | grep -q 10.97.0.50/32" || fail "vigil: VIP not added"
sleep "$SETTLE"
declare -A VM
for d in vrrpd checkerd ipvsd notify exporter; do
    p=${d}_PID
    kill -0 "${!p}" 2>/dev/null || fail "vigil $d died: $(tail -5 "$TEST_TMP/$d.log")"
    VM[$d]=$(mem "${!p}")
    log "vigil $d: RSS/PSS kB ${VM[$d]}"
done
for d in vrrpd checkerd ipvsd notify exporter; do p=${d}_PID; stop_pid "${!p}" "$d"; done
ipvsadm -C
ip addr del 10.97.0.50/32 dev irs0 2>/dev/null
nft delete table inet vigil_vrrp 2>/dev/null
nft delete table arp vigil_vrrp 2>/dev/null

# ---- keepalived
log "keepalived: starting"
kconf=$TEST_TMP/keepalived.conf
# one keyword a line: keepalived's parser is line-based (blocks on one line lose keywords)
cat > "$kconf" <<KC
global_defs { router_id bench }
vrrp_instance VI_1 {
    state BACKUP
    interface irs0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress { 10.97.0.50/32 }
    notify /bin/true
}
virtual_server 10.97.0.50 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.97.0.11 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
        }
    }
    real_server 10.97.0.12 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
        }
    }
}
KC
keepalived -n -l -D -f "$kconf" -p "$TEST_TMP/k.pid" -r "$TEST_TMP/kv.pid" -c "$TEST_TMP/kc.pid" \
    > "$TEST_TMP/keepalived.log" 2>&1 &
KPID=$!
cleanup_add "kill $KPID"
wait_for 60 weight_up 10.97.0.50 || fail "keepalived: real servers not up: $(ipvsadm -Ln)"
wait_for 30 bash -c "ip addr show dev irs0 | grep -q 10.97.0.50/32" || fail "keepalived: VIP not added"
sleep "$SETTLE"
declare -A KM
KM[parent]=$(mem "$KPID")
KM[vrrp]=$(mem "$(cat "$TEST_TMP/kv.pid")")
KM[checker]=$(mem "$(cat "$TEST_TMP/kc.pid")")
for k in parent vrrp checker; do log "keepalived $k: RSS/PSS kB ${KM[$k]}"; done
stop_pid "$KPID" keepalived

sum() { local t=0 x; for x in "$@"; do t=$((t + x)); done; echo $t; }
field() { local a=($1); echo "${a[$(( $2 - 1 ))]}"; }  # "rss pss" N → the Nth
v_rss=$(sum $(field "${VM[vrrpd]}" 1) $(field "${VM[checkerd]}" 1) $(field "${VM[ipvsd]}" 1))
v_pss=$(sum $(field "${VM[vrrpd]}" 2) $(field "${VM[checkerd]}" 2) $(field "${VM[ipvsd]}" 2))
x_rss=$(sum $(field "${VM[notify]}" 1) $(field "${VM[exporter]}" 1))
x_pss=$(sum $(field "${VM[notify]}" 2) $(field "${VM[exporter]}" 2))
k_rss=$(sum $(field "${KM[parent]}" 1) $(field "${KM[vrrp]}" 1) $(field "${KM[checker]}" 1))
k_pss=$(sum $(field "${KM[parent]}" 2) $(field "${KM[vrrp]}" 2) $(field "${KM[checker]}" 2))
{
    printf 'idle-rss: RSS, vrrpd+checkerd+ipvsd vs keepalived parent+vrrp+checker (1 instance, 2 real servers, %s s idle)\tkB\t%s\t%s\t\n' "$SETTLE" "$v_rss" "$k_rss"
    printf 'idle-rss: PSS, same processes\tkB\t%s\t%s\t\n' "$v_pss" "$k_pss"
    printf 'idle-rss: RSS vrrpd / keepalived VRRP child\tkB\t%s\t%s\t\n' "$(field "${VM[vrrpd]}" 1)" "$(field "${KM[vrrp]}" 1)"
    printf 'idle-rss: RSS checkerd+ipvsd / keepalived checker child\tkB\t%s\t%s\t\n' \
        "$(( $(field "${VM[checkerd]}" 1) + $(field "${VM[ipvsd]}" 1) ))" "$(field "${KM[checker]}" 1)"
    printf 'idle-rss: RSS vigil-notify + vigil-exporter (no keepalived counterpart)\tkB\t%s\t\t\n' "$x_rss"
} > "$OUT"
cat "$OUT"
RAW=${OUT%.new}; RAW=${RAW%.tsv}
for f in vrrpd.log checkerd.log ipvsd.log keepalived.log; do cp "$TEST_TMP/$f" "$RAW-$f"; done
for x in "$v_rss" "$v_pss" "$k_rss" "$k_pss"; do [[ $x =~ ^[1-9][0-9]*$ ]] || fail "a memory figure is not a number: '$x'"; done
echo "PASS: bench done"
