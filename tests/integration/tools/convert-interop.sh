#!/bin/bash
# "Means the same thing", on the wire: an operator converts one node of a
# keepalived pair and leaves the other on keepalived. The converted
# configuration must speak the same VRRP (keepalived's default version 2,
# PASS authentication, 1 s adverts, same VRID and VIP) so that the pair still
# elects as before: vigil (priority 150, was MASTER) holds the VIP, keepalived
# stays BACKUP without complaint, and takes over when vigil stops.
NET=${NET:-10.79.0}
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/vrrp/vrrp-lib.sh"
require_cmd keepalived
KEEPALIVED=$(command -v keepalived)

bus_start
vrrp_lan n1 k

# The pair's keepalived.conf, as a tutorial would have it (no version: 2).
kconf() { # FILE STATE PRIORITY
    cat > "$1" <<KC
! Configuration File for keepalived
global_defs {
   router_id node_$2        # 节点标识
}
vrrp_instance VI_1 {
    state $2
    interface eth0
    virtual_router_id 51
    priority $3
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        $NET.50/24
    }
}
KC
}
kconf "$TEST_TMP/n1.conf" MASTER 150
kconf "$TEST_TMP/k.conf" BACKUP 100

"$VIGILCTL" convert --strict "$TEST_TMP/n1.conf" -o "$TEST_TMP/n1.yaml" || fail "conversion of n1.conf failed"
"$VIGILCTL" check-config "$TEST_TMP/n1.yaml" >/dev/null || fail "converted n1.yaml is refused"
grep -q "version: 2" "$TEST_TMP/n1.yaml" || fail "keepalived's default VRRP version not written out"

kstart() {
    ip netns exec "${NS[k]}" "$KEEPALIVED" --dont-fork --log-console --log-detail --vrrp -f "$TEST_TMP/k.conf" \
        -p "$TEST_TMP/k.pid" -r "$TEST_TMP/k-vrrp.pid" -c "$TEST_TMP/k-check.pid" >> "$TEST_TMP/keepalived.log" 2>&1 &
    KPID=$!
    cleanup_add "kill -9 $KPID; pkill -9 -F $TEST_TMP/k-vrrp.pid"
}
k_has_vip() { has_vip k "$NET.50/24"; }

log "keepalived BACKUP (original config), vigil with the converted MASTER config"
kstart
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 8
wait_for 3 has_vip n1 "$NET.50/24" || fail "vigil master without the VIP"
sleep 4   # more than keepalived's master_down_interval: it must stay BACKUP on vigil's adverts
k_has_vip && fail "keepalived took the VIP from the converted (higher priority) node"
grep -q "Entering BACKUP STATE" "$TEST_TMP/keepalived.log" || fail "keepalived did not enter BACKUP: $(tail -5 "$TEST_TMP/keepalived.log")"
if grep -Ei "invalid|mismatch|checksum|bad |authentication|version|error|discard|wrong" "$TEST_TMP/keepalived.log" |
        grep -v "Opening file\|received lower priority" > "$TEST_TMP/k-errors.txt"; then
    fail "keepalived complained about the converted node's adverts: $(head -5 "$TEST_TMP/k-errors.txt")"
fi

log "vigil stops: keepalived takes over, then vigil returns and preempts as keepalived did"
kill -TERM "$(node_pid n1)"
wait_for 4 k_has_vip || fail "keepalived did not take over from the stopping converted node"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 8
wait_for 3 eval '! k_has_vip' || fail "keepalived kept the VIP after the converted node came back"
for c in rx_auth_error rx_auth_type_mismatch rx_interval_mismatch rx_version_error rx_address_list_mismatch; do
    v=$(counter n1 VI_1 $c)
    [ -z "$v" ] || [ "$v" = 0 ] || fail "vigil counter $c = $v for keepalived's adverts"
done
log "PASS"
