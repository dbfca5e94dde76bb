#!/bin/bash
# Without nftables (VIGIL_VRRP_NO_NFT=1: as on a host without nf_tables) the
# kernel address lifetime alone bounds a dead master's VIP. With 100 ms
# adverts the lease (1 s, whole seconds) is longer than master_down_interval
# (~361 ms), so vip_lease: auto makes the promoting backup wait out the
# previous master's lease before adding the VIP: sampled every 10 ms, the
# two nodes never hold the address at once, and never both answer ARP.
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1 n2
export VIGIL_VRRP_NO_NFT=1
ADVERT=100ms write_conf "$TEST_TMP/n1.yaml" 150
ADVERT=100ms write_conf "$TEST_TMP/n2.yaml" 100
node_start n2 "$TEST_TMP/n2.yaml"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 5
wait_state n2 VI_1 backup 2
sleep 1
grep -q "nftables lease table unavailable" "$TEST_TMP/vrrpd_n1.log" || fail "n1 runs with nftables"
ip netns exec "${NS[n1]}" nft list table inet vigil_vrrp >/dev/null 2>&1 && fail "nft table created despite VIGIL_VRRP_NO_NFT"

# 10 ms apart, for 5 s (a loaded machine makes each round slower, never longer)
( t0=$(date +%s%N); while [ $(( $(date +%s%N) - t0 )) -lt 5000000000 ]; do
    a=$(ip -n "${NS[n1]}" -4 addr show dev eth0); b=$(ip -n "${NS[n2]}" -4 addr show dev eth0)
    x=0; y=0; grep -q "$NET.50/" <<<"$a" && x=1; grep -q "$NET.50/" <<<"$b" && y=1
    echo "$(( ($(date +%s%N) - t0) / 1000000 )) $x $y"; sleep 0.01; done ) > "$TEST_TMP/addrs.txt" &
sampler=$!
probe_start 4 "$TEST_TMP/arp.json"
sleep 0.5
kill -KILL "$(node_pid n1)"
wait "$PROBE_PID"
wait "$sampler"
wait_state n2 VI_1 master 1
grep -q "Waiting [0-9]*ms for the previous master's VIP lease" "$TEST_TMP/vrrpd_n2.log" || fail "n2 did not wait out the lease"
both=$(awk '$2 == 1 && $3 == 1' "$TEST_TMP/addrs.txt" | wc -l)
n1gone=$(awk 'seen && $2 == 0 {print $1; exit} $2 == 1 {seen = 1}' "$TEST_TMP/addrs.txt")
n2got=$(awk '$3 == 1 {print $1; exit}' "$TEST_TMP/addrs.txt")
log "address samples: n1's VIP gone at ${n1gone} ms, n2's VIP added at ${n2got} ms, samples with both: $both"
[ "$both" -eq 0 ] || fail "both nodes held the VIP at once in $both samples"
[ -n "$n2got" ] || fail "n2 never added the VIP"
"$PYTHON" - "$(cat "$TEST_TMP/arp.json")" <<'PY' || fail "ARP"
import json, sys
d = json.loads(sys.argv[1])
print(f"# ARP: {d['requests']} requests, both={len(d['both'])}, macs={ {k: (v['first'], v['last']) for k, v in d['macs'].items()} }, longest unanswered {d['longest_unanswered'] * 10} ms", file=sys.stderr)
assert not d['both'], "split brain"
assert len(d['macs']) == 2, "expected n1 then n2"
PY
log "PASS"
