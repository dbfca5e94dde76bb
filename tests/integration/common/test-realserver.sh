#!/bin/bash
# vigilctl realserver setup/teardown for LVS-DR in a namespace: VIPs on lo,
# ARP sysctls set, idempotent, and teardown restores exactly the old values
# (including a value that was not the default before setup).
. "$(dirname "$0")/lib.sh"
require_root
ns=$(netns_add rs)
st=$TEST_TMP/rs.state
V="ip netns exec $ns env VIGIL_REALSERVER_STATE=$st $VIGILCTL"

# a pre-existing non-default value must come back after teardown
ip netns exec "$ns" sh -c 'echo 2 > /proc/sys/net/ipv4/conf/all/arp_ignore'
ip -n "$ns" addr add 10.9.9.9/32 dev lo  # already there before setup: must survive teardown

$V realserver setup --mode dr 10.9.9.9 10.9.9.10 2001:db8::10 || fail "setup"
$V realserver setup 10.9.9.10 --mode dr || fail "setup again (idempotent)"
addrs=$(ip -n "$ns" addr show dev lo)
assert_contains "$addrs" "10.9.9.10/32" "VIP on lo"
assert_contains "$addrs" "2001:db8::10/128" "IPv6 VIP on lo"
assert_eq "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/all/arp_ignore)" 1 "all.arp_ignore"
assert_eq "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/all/arp_announce)" 2 "all.arp_announce"
assert_eq "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/lo/arp_ignore)" 1 "lo.arp_ignore"
assert_eq "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/lo/arp_announce)" 2 "lo.arp_announce"
json=$($V --json realserver status) || fail "status"
assert_contains "$json" '"previous":"2"' "status records the old arp_ignore"
[ "$(grep -c '^a' "$st")" = 2 ] || fail "exactly the two new VIPs are recorded: $(cat "$st")"

$V realserver teardown || fail "teardown"
addrs=$(ip -n "$ns" addr show dev lo)
assert_contains "$addrs" "10.9.9.9/32" "pre-existing address kept"
grep -q "10.9.9.10" <<<"$addrs" && fail "VIP left on lo after teardown"
grep -q "2001:db8::10" <<<"$addrs" && fail "IPv6 VIP left on lo after teardown"
assert_eq "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/all/arp_ignore)" 2 "all.arp_ignore restored"
assert_eq "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/conf/lo/arp_announce)" 0 "lo.arp_announce restored"
[ -e "$st" ] && fail "state file left behind"

# bad input
$V realserver setup --mode dr not-an-ip 2>"$TEST_TMP/err" && fail "bad VIP accepted"
assert_contains "$(cat "$TEST_TMP/err")" "Invalid VIP 'not-an-ip'" "bad VIP message"
$V realserver setup --mode xx 10.1.1.1 2>/dev/null && fail "bad mode accepted"
echo "ok"
