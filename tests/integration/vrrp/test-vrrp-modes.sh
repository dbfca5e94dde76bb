#!/bin/bash
# vigil <-> vigil in the other modes: unicast peers (adverts go to the peer,
# not the group), an IPv6 instance (ff02::12, link-local source, NA,
# IFA_F_NODAD), and VRRPv2 with PASS authentication; each elects by
# priority and fails over on stop.
. "$(dirname "$0")/vrrp-lib.sh"
require_cmd tcpdump

bus_start
vrrp_lan n1 n2
stop_node() { kill -TERM "$(node_pid "$1")"; wait_for 5 eval '! kill -0 $(node_pid '"$1"') 2>/dev/null'; }

pair() { # LABEL VIP-ADDR/PREFIX CONF1 CONF2
    node_start n2 "$4"
    node_start n1 "$3"
    wait_state n1 VI_1 master 8
    wait_state n2 VI_1 backup 2
    has_vip n1 "$2" || fail "$1: VIP $2 not on the master: $(ip -n "${NS[n1]}" addr show dev eth0)"
    has_vip n2 "$2" && fail "$1: VIP on the backup"
    stop_node n1
    wait_state n2 VI_1 master 3
    has_vip n2 "$2" || fail "$1: VIP not on n2 after failover"
    stop_node n2
    wait_for 3 eval '! has_vip n2 "$2"' || fail "$1: n2 left its VIP on stop"
    log "$1: election, failover, clean stop OK"
}

# -- unicast
write_conf "$TEST_TMP/u1.yaml" 150 "unicast: {source: $NET.1, peers: [$NET.2]}"
write_conf "$TEST_TMP/u2.yaml" 100 "unicast: {source: $NET.2, peers: [$NET.1]}"
ip netns exec "${NS[n2]}" tcpdump -i eth0 -n -l 'ip proto 112' > "$TEST_TMP/u.txt" 2>/dev/null &
td=$!; cleanup_add "kill $td"
pair unicast "$NET.50/24" "$TEST_TMP/u1.yaml" "$TEST_TMP/u2.yaml"
kill $td
grep -q "$NET.1 > $NET.2: VRRPv3" "$TEST_TMP/u.txt" || fail "unicast: no advert from $NET.1 to $NET.2: $(head -3 "$TEST_TMP/u.txt")"
grep -q "224.0.0.18" "$TEST_TMP/u.txt" && fail "unicast: multicast adverts seen"

# -- IPv6
VIP="${NET6}50/64" write_conf "$TEST_TMP/v6a.yaml" 150
VIP="${NET6}50/64" write_conf "$TEST_TMP/v6b.yaml" 100
ip netns exec "${NS[c]}" tcpdump -i eth0 -n -l -v 'ip6 and (ip6[6] == 112 or icmp6)' > "$TEST_TMP/v6.txt" 2>/dev/null &
td=$!; cleanup_add "kill $td"
pair ipv6 "${NET6}50/64" "$TEST_TMP/v6a.yaml" "$TEST_TMP/v6b.yaml"
kill $td
grep -q "fe80::.* > ff02::12: .*VRRPv3" "$TEST_TMP/v6.txt" || grep -q "fe80::.*> ff02::12" "$TEST_TMP/v6.txt" ||
    fail "ipv6: no advert from a link-local source to ff02::12: $(head -5 "$TEST_TMP/v6.txt")"
grep -q "hlim 255" "$TEST_TMP/v6.txt" || fail "ipv6: adverts without hop limit 255"
grep -q "neighbor advertisement, .*tgt is ${NET6}50" "$TEST_TMP/v6.txt" || fail "ipv6: no unsolicited NA for the VIP: $(grep -i neighbor "$TEST_TMP/v6.txt" | head -3)"

# -- VRRPv2 with PASS
write_conf "$TEST_TMP/v2a.yaml" 150 "version: 2" 'authentication: {type: pass, password: "s3cret"}'
write_conf "$TEST_TMP/v2b.yaml" 100 "version: 2" 'authentication: {type: pass, password: "s3cret"}'
pair "v2 PASS" "$NET.50/24" "$TEST_TMP/v2a.yaml" "$TEST_TMP/v2b.yaml"
# a wrong password is an auth error, counted, and the nodes do not hear each other
write_conf "$TEST_TMP/v2bad.yaml" 100 "version: 2" 'authentication: {type: pass, password: "wrong"}'
node_start n1 "$TEST_TMP/v2a.yaml"
wait_state n1 VI_1 master 8
node_start n2 "$TEST_TMP/v2bad.yaml"
wait_for 3 eval '[ "$(counter n2 VI_1 rx_auth_error)" -ge 1 ]' || fail "v2: wrong password not counted"
log "v2: wrong password counted as rx_auth_error ($(counter n2 VI_1 rx_auth_error))"
log "PASS"
