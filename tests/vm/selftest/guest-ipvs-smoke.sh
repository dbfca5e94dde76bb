#!/bin/bash
# vm-ipvs-smoke: runs inside the guest. IPVS with every scheduler, veth +
# bridge + network namespaces, nftables.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }

step "ip_vs loaded"
grep -q '^ip_vs ' /proc/modules || modprobe ip_vs
[ -e /proc/net/ip_vs ] || fail "/proc/net/ip_vs missing"

step "NAT service with ipvsadm"
ipvsadm -A -t 10.0.0.1:80 -s rr
ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m
ipvsadm -Ln | tee /dev/stderr | grep -q -- '-> 10.0.0.2:80 *Masq' || fail "real server not listed"
ipvsadm -C

step "every scheduler"
port=1000
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos; do
	port=$((port + 1))
	if ! modinfo "ip_vs_$s" >/dev/null 2>&1; then
		echo "   $s: not built for $(uname -r), skipped"
		continue
	fi
	ipvsadm -A -t "10.0.0.1:$port" -s "$s" || fail "scheduler $s"
	grep -q "^ip_vs_$s " /proc/modules || fail "ip_vs_$s not loaded"
	echo "   $s: ok"
done
ipvsadm -Ln | grep -c '^TCP' | grep -qx "$(ipvsadm -Ln | grep -c '^TCP')"
ipvsadm -C

step "veth + bridge + netns"
ip netns add vmt-a
ip netns add vmt-b
ip link add br-vmt type bridge
ip link set br-vmt up
for n in a b; do
	ip link add "veth-$n" type veth peer name eth0 netns "vmt-$n"
	ip link set "veth-$n" master br-vmt up
	ip -n "vmt-$n" link set lo up
	ip -n "vmt-$n" link set eth0 up
done
ip -n vmt-a addr add 192.0.2.1/24 dev eth0
ip -n vmt-b addr add 192.0.2.2/24 dev eth0
ip netns exec vmt-a ping -c1 -W5 192.0.2.2 >/dev/null || fail "no ping across the bridge"
echo "   ping across the bridge: ok"

step "IPVS NAT between namespaces (director in the root ns)"
ip link add veth-d type veth peer name eth1 netns vmt-b
ip addr add 198.51.100.1/24 dev veth-d
ip link set veth-d up
ip -n vmt-b addr add 198.51.100.2/24 dev eth1
ip -n vmt-b link set eth1 up
ip -n vmt-b route add default via 198.51.100.1 2>/dev/null || true
# real server: busybox httpd in vmt-b
mkdir -p /tmp/www && echo "hello from the real server" >/tmp/www/index.html
ip netns exec vmt-b busybox httpd -p 198.51.100.2:8080 -h /tmp/www
sysctl -qw net.ipv4.ip_forward=1
ip addr add 203.0.113.10/32 dev lo
ipvsadm -A -t 203.0.113.10:80 -s rr
ipvsadm -a -t 203.0.113.10:80 -r 198.51.100.2:8080 -m
sleep 0.5
got=$(curl -s --max-time 10 http://203.0.113.10/ || true)
[ "$got" = "hello from the real server" ] || fail "IPVS NAT answer: '$got'"
echo "   curl through IPVS: ok"
ipvsadm -Lnc | grep -q "198.51.100.2:8080" || fail "no IPVS connection entry"
ipvsadm -Lnc
ipvsadm -C

step "nftables"
nft add table inet vmt
nft add chain inet vmt input '{ type filter hook input priority 0; policy accept; }'
nft add set inet vmt addrs '{ type ipv4_addr; flags interval; }'
nft add element inet vmt addrs '{ 192.0.2.0/24 }'
nft add rule inet vmt input ip saddr @addrs ct state established,new counter accept
nft add table ip vmtnat
nft add chain ip vmtnat post '{ type nat hook postrouting priority 100; }'
nft add rule ip vmtnat post oifname veth-d masquerade
nft list ruleset | grep -q masquerade || fail "nft ruleset"
nft delete table inet vmt
nft delete table ip vmtnat
echo "   nft: ok"

step "other link types"
ip link add dm0 type dummy && ip link del dm0
ip link add mv0 link br-vmt type macvlan mode bridge && ip link del mv0
ip link add vl0 link br-vmt type vlan id 10 && ip link del vl0
ip link add ipip0 type ipip local 192.0.2.10 remote 192.0.2.11 && ip link del ipip0
ip link add ip6t0 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::2 && ip link del ip6t0
echo "   dummy macvlan vlan ipip ip6tnl: ok"
echo "vm-ipvs-smoke: ok"
