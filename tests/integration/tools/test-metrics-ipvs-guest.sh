#!/bin/bash
# Guest half of test-metrics-ipvs.sh (runs in the qemu guest: real ip_vs).
# A NAT service with two real servers and real traffic through it; writes
# vigilctl metrics and an exporter scrape to OUTDIR for the host half to
# parse (the guest has no Python), and checks the values it can itself.
OUT=$1
. "$(dirname "$0")/../../vm/ipvs/lib-ipvs.sh"
require_cmd curl busctl ipvsadm busybox
[ -d "$OUT" ] || fail "no output dir '$OUT'"
EXPORTER=$VIGIL_BUILD_ROOT/tools/exporter/vigil-exporter
bus_start
cleanup_add "ipvsadm -C"

cl=$(netns_add client)
rs=$(netns_add rs)
veth_add "$cl" eth0 "" vcl0
veth_add "$rs" eth0 "" vrs0
ip addr add 10.10.0.1/24 dev vcl0
ip addr add 10.10.0.100/32 dev vcl0          # the VIP
ip addr add 10.20.0.1/24 dev vrs0
ip -n "$cl" addr add 10.10.0.2/24 dev eth0
ip -n "$cl" route add default via 10.10.0.1
ip -n "$rs" addr add 10.20.0.2/24 dev eth0
ip -n "$rs" addr add 10.20.0.3/24 dev eth0
ip -n "$rs" route add default via 10.20.0.1  # NAT: replies go back through the director
sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$TEST_TMP/www"; echo hello > "$TEST_TMP/www/index.html"
chmod 755 "$TEST_TMP" "$TEST_TMP/www"
ip netns exec "$rs" busybox httpd -f -p 10.20.0.2:8080 -h "$TEST_TMP/www" &
cleanup_add "kill $!"
wait_for 10 ip netns exec "$rs" busybox wget -q -O /dev/null http://10.20.0.2:8080/ || fail "real server did not start"

cat > "$TEST_TMP/vigil.yaml" <<'Y'
virtual_servers:
  - address: 10.10.0.100
    port: 80
    scheduler: wrr
    forwarding: nat
    real_servers:
      - {address: 10.20.0.2, port: 8080, weight: 3}
      - {address: 10.20.0.3, port: 8080, weight: 0}
Y
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start ipvsd "$IPVSD" -c "$TEST_TMP/vigil.yaml"
wait_for 20 bus_has_name org.vigil.Ipvs1 || fail "ipvsd did not start"
wait_for 10 bash -c "ipvsadm -Ln -t 10.10.0.100:80 | grep -q 10.20.0.3:8080" || fail "service not programmed: $(ipvsadm -Ln)"

N=7
for i in $(seq 1 $N); do
    out=$(ip netns exec "$cl" curl -s --max-time 5 http://10.10.0.100/) || fail "request $i through the VIP failed"
    assert_eq "$out" hello "request $i through the VIP"
done

# the kernel folds its per-CPU counters into the totals from its estimator
# timer (every 2 s): wait until ipvsadm, the oracle, shows every connection
conns() { ipvsadm -Ln --stats -t 10.10.0.100:80 | awk '/^TCP/ {print $3}'; }
wait_for 10 bash -c "[ \"\$(ipvsadm -Ln --stats -t 10.10.0.100:80 | awk '/^TCP/ {print \$3}')\" = $N ]" ||
    fail "ipvsadm shows $(conns) connections, not $N"
"$VIGILCTL" metrics > "$OUT/ctl.txt" || fail "vigilctl metrics failed"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXPORTER" --listen 127.0.0.1:9650 --refresh 1s \
    --log-target=console --log-level=debug > "$TEST_TMP/exporter.log" 2>&1 &
cleanup_add "kill $!"
wait_for 10 bash -c "curl -sf -o '$OUT/exp.txt' http://127.0.0.1:9650/metrics && grep -q '^vigil_ipvs_connections_total{service=\"tcp:10.10.0.100:80\"} $N\$' '$OUT/exp.txt'" ||
    fail "exporter: $(cat "$OUT/exp.txt" 2>/dev/null | grep vigil_up)"

svc='service="tcp:10.10.0.100:80"'
for f in "$OUT/ctl.txt" "$OUT/exp.txt"; do
    assert_contains "$(cat "$f")" "vigil_ipvs_destination_weight{$svc,destination=\"10.20.0.2:8080\"} 3" "weight in $f"
    assert_contains "$(cat "$f")" "vigil_ipvs_destination_weight{$svc,destination=\"10.20.0.3:8080\"} 0" "weight 0 in $f"
    assert_contains "$(cat "$f")" "vigil_ipvs_connections_total{$svc} $N" "connections in $f"
    assert_contains "$(cat "$f")" "vigil_ipvs_destination_connections_total{$svc,destination=\"10.20.0.2:8080\"} $N" "per-destination connections in $f"
    assert_contains "$(cat "$f")" "vigil_ipvs_destination_connections_total{$svc,destination=\"10.20.0.3:8080\"} 0" "weight-0 destination in $f"
done
echo "$N" > "$OUT/n"
log "OK: $(grep -c '^vigil_ipvs' "$OUT/ctl.txt") IPVS series"
