#!/bin/bash
# Accept mode (RFC 5798 §6.1) under vrrp_strict: a master with accept: false
# answers ARP for its VIP but takes no traffic to it; accept: true does.
# Without vrrp_strict a master accepts (keepalived's behaviour, what LVS needs).
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1
conf() { # FILE STRICT
    cat > "$1" <<Y
global: {vrrp_strict: $2}
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: 150
      accept: false
      virtual_addresses: [{address: $NET.50/24}]
    VI_2:
      interface: eth0
      virtual_router_id: 52
      priority: 150
      accept: true
      virtual_addresses: [{address: $NET.60/24}]
Y
}
# udp_probe ADDR: "refused" when the host answered (ICMP port unreachable), "silent" otherwise
udp_probe() {
    ip netns exec "${NS[c]}" "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
s.connect((sys.argv[1], 9))
try:
    s.send(b"x"); s.recv(10); print("answered")
except ConnectionRefusedError: print("refused")
except socket.timeout: print("silent")' "$1"
}

conf "$TEST_TMP/strict.yaml" true
node_start n1 "$TEST_TMP/strict.yaml"
wait_state n1 VI_1 master 8
wait_state n1 VI_2 master 3
assert_eq "$(udp_probe "$NET.60")" refused "accept: true takes traffic"
assert_eq "$(udp_probe "$NET.50")" silent "accept: false drops traffic"
res=$(VIP_ADDR=$NET.50 probe_arp 0.3)
[ "$(json_get "$res" "d['answered']")" -gt 0 ] || fail "accept: false must still answer ARP"
kill -TERM "$(node_pid n1)"
sleep 0.5
set=$(ip netns exec "${NS[n1]}" nft list set inet vigil_vrrp noaccept4)
grep -q "$NET.50" <<<"$set" && fail "noaccept entry left after stop"

conf "$TEST_TMP/loose.yaml" false
node_start n1 "$TEST_TMP/loose.yaml"
wait_state n1 VI_1 master 8
assert_eq "$(udp_probe "$NET.50")" refused "without vrrp_strict accept: false is not enforced"
log "PASS"
