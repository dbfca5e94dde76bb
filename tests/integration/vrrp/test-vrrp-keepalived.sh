#!/bin/bash
# vigil <-> keepalived on one LAN (operators migrate one node at a time),
# IPv4 (v3, v2 PASS) and IPv6 (v3):
# keepalived master / vigil backup and the reverse, failover both ways and
# preemption, for VRRPv3 and VRRPv2 with PASS authentication. A capture in
# the client namespace checks vigil's adverts byte by byte (TTL 255,
# checksums, fields, same layout as keepalived's), and keepalived's log must
# show no complaint about them.
. "$(dirname "$0")/vrrp-lib.sh"
require_cmd keepalived tcpdump
KEEPALIVED=$(command -v keepalived)

bus_start
vrrp_lan n1 k

# kconf FILE VERSION PRIORITY
kconf() {
    local auth=""
    [ "$2" = 2 ] && auth="authentication {
        auth_type PASS
        auth_pass 1111
    }"
    cat > "$1" <<KC
global_defs {
    router_id kal_test
    script_user root
    enable_script_security
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    version $2
    priority $3
    advert_int 1
    $auth
    virtual_ipaddress {
        $NET.50/24
    }
}
KC
}
kstart() { # CONF
    ip netns exec "${NS[k]}" "$KEEPALIVED" --dont-fork --log-console --log-detail --vrrp -f "$1" \
        -p "$TEST_TMP/k.pid" -r "$TEST_TMP/k-vrrp.pid" -c "$TEST_TMP/k-check.pid" >> "$TEST_TMP/keepalived.log" 2>&1 &
    KPID=$!
    cleanup_add "kill -9 $KPID; pkill -9 -F $TEST_TMP/k-vrrp.pid"
}
kstop() {
    kill -TERM "$KPID"
    wait_for 5 eval '! kill -0 $KPID 2>/dev/null' || fail "keepalived did not stop"
}
k_has_vip() { has_vip k "$NET.50/24"; }

run_version() {
    local v=$1 auth=""
    log "---- VRRPv$v ----"
    [ "$v" = 2 ] && auth='authentication: {type: pass, password: "1111"}'
    local vconf_hi=$TEST_TMP/vigil-hi-$v.yaml vconf_lo=$TEST_TMP/vigil-lo-$v.yaml
    write_conf "$vconf_hi" 150 "version: $v" ${auth:+"$auth"}
    write_conf "$vconf_lo" 100 "version: $v" ${auth:+"$auth"}
    kconf "$TEST_TMP/k-hi-$v.conf" "$v" 150
    kconf "$TEST_TMP/k-lo-$v.conf" "$v" 100

    # -- keepalived master (150), vigil backup (100)
    : > "$TEST_TMP/keepalived.log"
    kstart "$TEST_TMP/k-hi-$v.conf"
    wait_for 8 k_has_vip || fail "v$v: keepalived did not become master: $(tail -5 "$TEST_TMP/keepalived.log")"
    node_start n1 "$vconf_lo"
    wait_state n1 VI_1 backup 3
    sleep 4   # longer than vigil's master_down_interval: it must stay backup on keepalived's adverts
    state_is n1 VI_1 backup || fail "v$v: vigil left backup under keepalived master: $(prop n1 VI_1 LastReason)"
    assert_eq "$(prop n1 VI_1 MasterAddress)" "$NET.2" "v$v: vigil's view of the master"
    has_vip n1 "$NET.50/24" && fail "v$v: vigil backup holds the VIP"
    [ "$(counter n1 VI_1 rx_adverts)" -ge 3 ] || fail "v$v: vigil counted no adverts from keepalived"
    for c in rx_checksum_error rx_auth_error rx_auth_type_mismatch rx_interval_mismatch rx_address_list_mismatch rx_version_error; do
        assert_eq "$(counter n1 VI_1 $c)" 0 "v$v: vigil counter $c for keepalived's adverts"
    done

    # failover: keepalived stops (priority 0) -> vigil takes over
    kstop
    wait_state n1 VI_1 master 3
    has_vip n1 "$NET.50/24" || fail "v$v: vigil master without VIP"
    # keepalived comes back with higher priority: preempts vigil
    kstart "$TEST_TMP/k-hi-$v.conf"
    wait_state n1 VI_1 backup 8
    wait_for 3 k_has_vip || fail "v$v: keepalived did not take the VIP back"
    wait_for 3 eval '! has_vip n1 "$NET.50/24"' || fail "v$v: vigil kept the VIP after preemption"
    kstop
    wait_state n1 VI_1 master 3
    kill -TERM "$(node_pid n1)"
    wait_for 5 eval '! kill -0 $(node_pid n1) 2>/dev/null'

    # -- vigil master (150), keepalived backup (100); capture vigil's adverts
    node_start n1 "$vconf_hi"
    wait_state n1 VI_1 master 8
    kstart "$TEST_TMP/k-lo-$v.conf"
    ip netns exec "${NS[c]}" tcpdump -i eth0 -n -w "$TEST_TMP/v$v.pcap" -U 'ip proto 112' >/dev/null 2>&1 &
    local tcpd=$!
    cleanup_add "kill $tcpd"
    sleep 5
    k_has_vip && fail "v$v: keepalived took the VIP from a higher-priority vigil"
    grep -q "Entering BACKUP STATE" "$TEST_TMP/keepalived.log" || fail "v$v: keepalived did not enter BACKUP: $(tail -5 "$TEST_TMP/keepalived.log")"
    # vigil stops: keepalived takes over (from priority 0, skew time)
    kill -TERM "$(node_pid n1)"
    wait_for 4 k_has_vip || fail "v$v: keepalived did not take over from a stopping vigil"
    sleep 2.5   # a few of keepalived's adverts as master
    kill "$tcpd"; wait "$tcpd" 2>/dev/null
    # vigil returns and preempts keepalived
    node_start n1 "$vconf_hi"
    wait_state n1 VI_1 master 8
    wait_for 3 eval '! k_has_vip' || fail "v$v: keepalived kept the VIP after vigil preempted it"
    kstop
    kill -TERM "$(node_pid n1)"
    wait_for 5 eval '! kill -0 $(node_pid n1) 2>/dev/null'

    # the wire: every vigil advert is well formed, keepalived's too
    "$PYTHON" "$VIGIL_SOURCE_ROOT/tests/integration/vrrp/check-pcap.py" "$TEST_TMP/v$v.pcap" \
        --version "$v" --vrid 51 --addr "$NET.50" --interval-cs 100 ${auth:+--password 1111} \
        --vigil-src "$NET.1" --peer-src "$NET.2" || fail "v$v: adverts on the wire are not right"

    # keepalived found nothing wrong with vigil's adverts
    if grep -Ei "invalid|mismatch|checksum|bad |ttl|error|discard|wrong" "$TEST_TMP/keepalived.log" | grep -v "Opening file\|received lower priority" > "$TEST_TMP/k-errors.txt"; then
        fail "v$v: keepalived complained: $(head -5 "$TEST_TMP/k-errors.txt")"
    fi
}

# IPv6 (VRRPv3 over ff02::12, link-local sources), both directions
run_v6() {
    log "---- VRRPv3 IPv6 ----"
    local vip="${NET6}50/64"
    k6conf() {
        cat > "$1" <<KC
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    version 3
    priority $2
    advert_int 1
    virtual_ipaddress {
        $vip
    }
}
KC
    }
    k6conf "$TEST_TMP/k6-hi.conf" 150
    k6conf "$TEST_TMP/k6-lo.conf" 100
    VIP=$vip write_conf "$TEST_TMP/v6-lo.yaml" 100
    VIP=$vip write_conf "$TEST_TMP/v6-hi.yaml" 150
    : > "$TEST_TMP/keepalived.log"
    kstart "$TEST_TMP/k6-hi.conf"
    wait_for 8 has_vip k "$vip" || fail "v6: keepalived did not become master"
    node_start n1 "$TEST_TMP/v6-lo.yaml"
    wait_state n1 VI_1 backup 3
    sleep 4
    state_is n1 VI_1 backup || fail "v6: vigil left backup under keepalived master"
    local kll
    kll=$(ip -n "${NS[k]}" -6 addr show dev eth0 scope link | awk '/inet6/ {print $2}' | cut -d/ -f1)
    assert_eq "$(prop n1 VI_1 MasterAddress)" "$kll" "v6: vigil's view of the master (keepalived's link-local)"
    assert_eq "$(counter n1 VI_1 rx_checksum_error)" 0 "v6: checksum errors on keepalived's adverts"
    kstop
    wait_state n1 VI_1 master 3
    has_vip n1 "$vip" || fail "v6: vigil master without VIP"
    kill -TERM "$(node_pid n1)"
    wait_for 5 eval '! kill -0 $(node_pid n1) 2>/dev/null'
    node_start n1 "$TEST_TMP/v6-hi.yaml"
    wait_state n1 VI_1 master 8
    kstart "$TEST_TMP/k6-lo.conf"
    sleep 4
    has_vip k "$vip" && fail "v6: keepalived took the VIP from a higher-priority vigil"
    grep -q "Entering BACKUP STATE" "$TEST_TMP/keepalived.log" || fail "v6: keepalived not backup"
    kill -TERM "$(node_pid n1)"
    wait_for 4 eval 'has_vip k "$vip"' || fail "v6: keepalived did not take over from a stopping vigil"
    kstop
    if grep -Ei "invalid|mismatch|checksum|bad |ttl|error|discard|wrong" "$TEST_TMP/keepalived.log" | grep -v "Opening file\|received lower priority" > "$TEST_TMP/k-errors.txt"; then
        fail "v6: keepalived complained: $(head -5 "$TEST_TMP/k-errors.txt")"
    fi
}

# Control: the log check above can fail. A vigil with the wrong password
# must make keepalived complain in the very terms we grep for.
negative_control() {
    log "---- control: wrong password ----"
    : > "$TEST_TMP/keepalived.log"
    kstart "$TEST_TMP/k-lo-2.conf"
    write_conf "$TEST_TMP/bad-pw.yaml" 150 "version: 2" 'authentication: {type: pass, password: "2222"}' "initial_state: master"
    node_start n1 "$TEST_TMP/bad-pw.yaml"
    wait_for 6 grep -Eqi "invalid|mismatch|checksum|bad |ttl|error|discard|wrong" "$TEST_TMP/keepalived.log" ||
        fail "control: keepalived did not complain about a wrong password, so its silence proves nothing"
    log "control: keepalived said: $(grep -Ei "invalid|mismatch" "$TEST_TMP/keepalived.log" | head -1 | cut -d: -f4-)"
    kill -TERM "$(node_pid n1)"
    kstop
}

run_version 3
run_version 2
run_v6
negative_control
log "PASS"
