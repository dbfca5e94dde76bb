#!/bin/bash
# Startup cleanup: VIPs a killed vrrpd left behind (still within their
# kernel lease) are removed by the next start before it speaks VRRP; a VIP
# with vip_lease: off is permanent; a permanent address someone else put
# there is left alone.
. "$(dirname "$0")/vrrp-lib.sh"
require_cmd tcpdump

bus_start
vrrp_lan n1
write_conf "$TEST_TMP/n1.yaml" 150
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 8
kill -KILL "$(node_pid n1)"
has_vip n1 "$NET.50/24" || fail "VIP already gone (lease 2 s)"
ip netns exec "${NS[n1]}" tcpdump -i eth0 -n -l 'ip proto 112' > "$TEST_TMP/adverts.txt" 2>/dev/null &
cleanup_add "kill $!"
ip -n "${NS[n1]}" -ts monitor address > "$TEST_TMP/addrmon.txt" 2>&1 &
cleanup_add "kill $!"
sleep 0.2
node_start n1 "$TEST_TMP/n1.yaml"
! has_vip n1 "$NET.50/24" || fail "leftover VIP not removed at start"
grep -q "Removing VIP $NET.50/24 left by an earlier run" "$TEST_TMP/vrrpd_n1.log" || fail "no log line for the leftover"
wait_state n1 VI_1 master 8
sleep 0.3
# order on the wire/host: the deletion (ip monitor "Deleted") precedes the first advert
del=$(grep -m1 "Deleted.*$NET.50/24" "$TEST_TMP/addrmon.txt" | sed 's/^\[\([^]]*\)\].*/\1/')
first=$(head -1 "$TEST_TMP/adverts.txt" | awk '{print $1}')
[ -n "$del" ] && [ -n "$first" ] || fail "missing deletion ($del) or advert ($first)"
log "leftover deleted at ${del#*T}, first advert at $first"
[[ "${del#*T}" < "$first" ]] || fail "an advert went out before the leftover VIP was removed"
kill -TERM "$(node_pid n1)"; sleep 0.5

# vip_lease: off: permanent address, nothing in the nft alive set
write_conf "$TEST_TMP/off.yaml" 150 "vip_lease: off"
node_start n1 "$TEST_TMP/off.yaml"
wait_state n1 VI_1 master 8
out=$(ip -n "${NS[n1]}" addr show dev eth0)
grep -A1 "$NET.50/24" <<<"$out" | grep "valid_lft forever" >/dev/null || fail "vip_lease off: VIP not permanent: $out"
set=$(ip netns exec "${NS[n1]}" nft list set inet vigil_vrrp alive4)
grep -q "$NET.50" <<<"$set" && fail "vip_lease off: VIP in the alive set"
kill -TERM "$(node_pid n1)"
wait_for 3 eval '! has_vip n1 "$NET.50/24"' || fail "vip_lease off: VIP left on stop"

# a permanent address that is not ours is left alone at start (with a lease we only add finite ones)
ip -n "${NS[n1]}" addr add "$NET.50/24" dev eth0
node_start n1 "$TEST_TMP/n1.yaml"
sleep 0.5
has_vip n1 "$NET.50/24" || fail "a permanent address we did not add was removed"
log "PASS"
