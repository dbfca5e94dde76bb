#!/bin/bash
# Bad packets: a sender on the LAN injects each malformed kind with priority
# 254 (so that, were it accepted, the master would yield). Each must be
# counted under its own counter and dropped; the master stays master with
# its VIP. A valid injected advert at the end proves the path works.
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1
ADVERT=100ms write_conf "$TEST_TMP/n1.yaml" 100
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 3

inject() { ip netns exec "${NS[c]}" "$PYTHON" "$VIGIL_SOURCE_ROOT/tests/integration/vrrp/inject.py" \
               --src "$NET.100" --interval-cs 10 --addr "$NET.50" "$@"; }

check_kind() { # KIND COUNTER
    local before after
    before=$(counter n1 VI_1 "$2")
    inject --kind "$1" || fail "injecting $1"
    inject --kind "$1"
    inject --kind "$1"
    wait_for 3 eval '[ "$(counter n1 VI_1 '"$2"')" -ge $((before + 3)) ]' ||
        fail "$1: counter $2 went from $before to $(counter n1 VI_1 "$2"), expected +3"
    state_is n1 VI_1 master || fail "$1: state changed to $(state n1 VI_1) ($(prop n1 VI_1 LastReason))"
    has_vip n1 "$NET.50/24" || fail "$1: VIP lost"
    log "$1: counted in $2 ($before -> $(counter n1 VI_1 "$2")), dropped, still master"
}

check_kind ttl rx_ttl_error
check_kind version rx_version_error
check_kind v2 rx_version_error
check_kind type rx_type_error
check_kind checksum rx_checksum_error
check_kind length rx_length_error
check_kind addrlist rx_address_list_mismatch
check_kind vrid rx_other_vrid
# v3 interval mismatch is counted but the packet is processed (a backup learns
# the master's interval): at a lower priority the master just ignores it
inject --kind interval --priority 50
wait_for 3 eval '[ "$(counter n1 VI_1 rx_interval_mismatch)" -ge 1 ]' || fail "interval mismatch not counted"
state_is n1 VI_1 master || fail "lower-priority advert with another interval moved the master"
assert_eq "$(counter n1 VI_1 rx_adverts)" 1 "only the interval-mismatch advert was accepted"
grep -q "Dropped advert from $NET.100 on eth0: rx_checksum_error" "$TEST_TMP/vrrpd_n1.log" || fail "no log line for the checksum error"

# positive control: a valid higher-priority advert makes the master yield
inject --kind good --priority 254
wait_for 2 grep -q "master -> backup (preempted by $NET.100 (priority 254, ours 100))" "$TEST_TMP/vrrpd_n1.log" ||
    fail "a valid higher-priority advert did not make the master yield"
# and with no more adverts it takes the VIP back after master_down_interval
wait_state n1 VI_1 master 3
kill -0 "$(node_pid n1)" || fail "vrrpd died"
log "PASS"
