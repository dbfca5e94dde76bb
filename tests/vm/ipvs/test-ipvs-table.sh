#!/bin/bash
# vigil-ipvsd against the real kernel, with ipvsadm as the independent oracle:
# a table covering every scheduler the guest kernel has, DR/NAT/TUN (ipip,
# gue, gre), fwmark (v4 and v6), IPv6, persistence with netmask/prefix,
# thresholds, one-packet and scheduler flags; a foreign service that must
# survive; a reload with edits (minimal ops asserted); a restart during which
# no entry may disappear, even briefly; removal of vigil's own stale service.
TEST_NAME=ipvs-table
. "$(dirname "$0")/lib-ipvs.sh"
ipvs_net_setup
bus_start

# Foreign: created by someone else before vigil starts.
ipvsadm -A -t 10.1.0.200:25 -s rr || fail "ipvsadm -A"
ipvsadm -a -t 10.1.0.200:25 -r 10.1.0.25:25 -m -w 1 || fail "ipvsadm -a"

cfg=$TEST_TMP/vigil.yaml
write_config() { # $1: variant (base|edited), $2: noudp to leave the udp service out
    {
    cat <<'Y'
ipvs:
  reconcile_interval: 1h
  timeouts: {tcp: 901s, tcpfin: 121s, udp: 301s}
virtual_servers:
  - address: 10.1.0.100
    port: 80
    scheduler: sh
    flags: [sh-fallback, sh-port]
    forwarding: dr
    persistence: {timeout: 300s, netmask: 255.255.255.0}
    real_servers:
Y
    if [ "$1" = base ]; then
    cat <<'Y'
      - {address: 10.2.0.1, weight: 3, upper_threshold: 100, lower_threshold: 10}
      - {address: 10.2.0.2, forwarding: tun, tunnel: {type: gue, port: 6080}}
Y
    else
    cat <<'Y'
      - {address: 10.2.0.1, weight: 5, upper_threshold: 100, lower_threshold: 10}
      - {address: 10.2.0.4}
Y
    fi
    [ "$2" != noudp ] && cat <<Y
  - address: 10.1.0.100
    port: 53
    protocol: udp
    scheduler: $([ "$1" = base ] && echo rr || echo wrr)
    flags: [one-packet]
    forwarding: nat
    real_servers:
      - {address: 10.1.0.5, port: 5353}
Y
    [ "$1" = base ] && cat <<'Y'
  - address: 10.1.0.100
    port: 9
    protocol: sctp
    scheduler: wrr
    forwarding: tun
    real_servers:
      - {address: 10.2.0.9, tunnel: {type: gre}}
Y
    cat <<'Y'
  - fwmark: 7
    scheduler: wlc
    forwarding: dr
    persistence: {timeout: 360s}
    real_servers: [{address: 10.2.0.3, weight: 2}]
  - fwmark: 8
    family: inet6
    scheduler: mh
    flags: [mh-port]
    forwarding: dr
    persistence: {timeout: 60s, prefix: 64}
    real_servers: [{address: "2001:db8:2::8"}]
  - address: "2001:db8::1"
    port: 443
    scheduler: lc
    forwarding: nat
    real_servers: [{address: "2001:db8::5", port: 8443, weight: 0}]
Y
    local port=1000 s
    for s in lblc lblcr dh sed nq fo ovf; do
        port=$((port + 1))
        printf '  - {address: 10.1.0.100, port: %d, scheduler: %s, forwarding: nat, real_servers: [{address: 10.1.0.%d, port: 8080}]}\n' \
            $port $s $((port - 990))
    done
    } > "$cfg"
}

expected_base() {
    sort <<'E'
-A -t 10.1.0.100:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -t 10.1.0.100:80 -r 10.2.0.1:80 -g -w 3
-a -t 10.1.0.100:80 -r 10.2.0.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
-A -u 10.1.0.100:53 -s rr -o
-a -u 10.1.0.100:53 -r 10.1.0.5:5353 -m -w 1
-A --sctp-service 10.1.0.100:9 -s wrr
-a --sctp-service 10.1.0.100:9 -r 10.2.0.9:9 -i -w 1 --tun-type gre --tun-nocsum
-A -f 7 -s wlc -p 360
-a -f 7 -r 10.2.0.3:0 -g -w 2
-A -f 8 -6 -s mh -p 60 -M 64 -b mh-port
-a -f 8 -6 -r [2001:db8:2::8]:0 -g -w 1
-A -t [2001:db8::1]:443 -s lc
-a -t [2001:db8::1]:443 -r [2001:db8::5]:8443 -m -w 0
-A -t 10.1.0.100:1001 -s lblc
-a -t 10.1.0.100:1001 -r 10.1.0.11:8080 -m -w 1
-A -t 10.1.0.100:1002 -s lblcr
-a -t 10.1.0.100:1002 -r 10.1.0.12:8080 -m -w 1
-A -t 10.1.0.100:1003 -s dh
-a -t 10.1.0.100:1003 -r 10.1.0.13:8080 -m -w 1
-A -t 10.1.0.100:1004 -s sed
-a -t 10.1.0.100:1004 -r 10.1.0.14:8080 -m -w 1
-A -t 10.1.0.100:1005 -s nq
-a -t 10.1.0.100:1005 -r 10.1.0.15:8080 -m -w 1
-A -t 10.1.0.100:1006 -s fo
-a -t 10.1.0.100:1006 -r 10.1.0.16:8080 -m -w 1
-A -t 10.1.0.100:1007 -s ovf
-a -t 10.1.0.100:1007 -r 10.1.0.17:8080 -m -w 1
-A -t 10.1.0.200:25 -s rr
-a -t 10.1.0.200:25 -r 10.1.0.25:25 -m -w 1
E
}

expected_edited() {
    expected_base | grep -v -e '10.1.0.100:9 ' -e '10.2.0.2:80' \
        | sed -e 's/-r 10.2.0.1:80 -g -w 3/-r 10.2.0.1:80 -g -w 5/' -e 's/^-A -u 10.1.0.100:53 -s rr -o/-A -u 10.1.0.100:53 -s wrr -o/'
    echo '-a -t 10.1.0.100:80 -r 10.2.0.4:80 -g -w 1'
}

check_table() { # $1: expected (sorted file)
    save_sorted > "$TEST_TMP/actual"
    diff -u "$1" "$TEST_TMP/actual" >&2 || fail "kernel table (ipvsadm -Sn) differs from the expected one"
}

# ---- 1. from the config to the kernel ----
write_config base
expected_base | sort > "$TEST_TMP/expected"
start_ipvsd "$cfg"
check_table "$TEST_TMP/expected"
log "table as configured, foreign service intact"
assert_eq "$(ipvsadm -L --timeout)" "Timeout (tcp tcpfin udp): 901 121 301" "IPVS timeouts"

# thresholds are not in ipvsadm -Sn: ask -Ln --thresholds
ipvsadm -Ln --thresholds -t 10.1.0.100:80 | grep -E '10\.2\.0\.1:80 +100 +10 ' >/dev/null \
    || { ipvsadm -Ln --thresholds -t 10.1.0.100:80 >&2; fail "thresholds 100/10 not programmed"; }

# vigil's own view (Dump) equals ipvsadm's, thresholds aside
ipvs_call Dump | sed -e 's/^s "//' -e 's/"$//' -e 's/\\n/\n/g' | sed -e 's/ -x [0-9]*//' -e 's/ -y [0-9]*//' | grep -v '^$' | sort > "$TEST_TMP/dump"
diff -u "$TEST_TMP/actual" "$TEST_TMP/dump" >&2 || fail "Dump() differs from ipvsadm -Sn"
grep -q -- '-r 10.2.0.1:80 -g -w 3 -x 100 -y 10' <(ipvs_call Dump | sed 's/\\n/\n/g') || fail "Dump() lacks the thresholds"

# ListServices lists every kernel service, foreign included
n=$(ipvs_call ListServices | awk '{print $2}')
assert_eq "$n" 14 "ListServices count"
grep -qx 'tcp:10.1.0.100:80' "$TEST_TMP/state/ipvsd.owned" || fail "tcp:10.1.0.100:80 not recorded as owned"
grep -q '10.1.0.200' "$TEST_TMP/state/ipvsd.owned" && fail "the foreign service was recorded as vigil's"

# ---- 2. reload with edits: minimal ops, in order ----
write_config edited
expected_edited | sort > "$TEST_TMP/expected2"
before=$(grep -c 'op: ' "$TEST_TMP/ipvsd.log")
ipvs_call Reload || fail "Reload failed"
check_table "$TEST_TMP/expected2"
grep 'op: ' "$TEST_TMP/ipvsd.log" | tail -n +$((before + 1)) | sed 's/.*op: //; s/ (\.\..*//' > "$TEST_TMP/ops"
cat > "$TEST_TMP/ops.expected" <<'E'
del-service sctp:10.1.0.100:9 wrr
del-dest tcp:10.1.0.100:80 -> 10.2.0.2:80 Tunnel weight 1
edit-dest tcp:10.1.0.100:80 -> 10.2.0.1:80 Route weight 5
add-dest tcp:10.1.0.100:80 -> 10.2.0.4:80 Route weight 1
edit-service udp:10.1.0.100:53 wrr
E
diff -u "$TEST_TMP/ops.expected" "$TEST_TMP/ops" >&2 || fail "reload did not apply exactly the minimal ops"
log "reload: 5 ops, table as edited"

# a reload without changes does nothing
before=$(grep -c 'op: ' "$TEST_TMP/ipvsd.log")
ipvs_call Reload || fail "Reload failed"
assert_eq "$(grep -c 'op: ' "$TEST_TMP/ipvsd.log")" "$before" "ops of an idle reload"

# ---- 3. restart: no entry disappears, even briefly ----
poll() {
    local n=0 bad=0
    while [ ! -e "$TEST_TMP/stop-poll" ]; do
        ipvsadm -Sn | sort > "$TEST_TMP/snap"
        if ! cmp -s "$TEST_TMP/snap" "$TEST_TMP/expected2"; then
            bad=$((bad + 1)); cp "$TEST_TMP/snap" "$TEST_TMP/bad-snap"
        fi
        n=$((n + 1))
    done
    echo "$n $bad" > "$TEST_TMP/poll-result"
}
poll &
poller=$!
sleep 1
stop_ipvsd
sleep 1
start_ipvsd "$cfg"
sleep 1
touch "$TEST_TMP/stop-poll"
wait $poller
read -r snaps bad < "$TEST_TMP/poll-result"
log "restart: $snaps snapshots of the table taken, $bad differed"
[ "$snaps" -ge 5 ] || fail "too few snapshots ($snaps) to say anything"
[ "$bad" = 0 ] || { diff -u "$TEST_TMP/expected2" "$TEST_TMP/bad-snap" >&2; fail "the table changed during a restart"; }
grep -q 'applied' <(tail -n 20 "$TEST_TMP/ipvsd.log") && fail "restart with an unchanged config changed the kernel"

# ---- 4. a service vigil owns, removed from the config while ipvsd is down ----
stop_ipvsd
write_config edited noudp
grep -q 'port: 53$' "$cfg" && fail "test bug: udp service still in the config"
start_ipvsd "$cfg"
grep -v -e '-u 10.1.0.100:53' "$TEST_TMP/expected2" > "$TEST_TMP/expected3"
check_table "$TEST_TMP/expected3"
grep -q 'udp:10.1.0.100:53' "$TEST_TMP/state/ipvsd.owned" && fail "removed service still recorded as owned"
log "stale owned service removed at start; foreign one kept"

# ---- 5. own_table: the whole table is vigil's ----
sed -i 's/^  reconcile_interval: 1h$/  reconcile_interval: 1h\n  own_table: true/' "$cfg"
grep -q 'own_table: true' "$cfg" || fail "test bug: own_table not set"
ipvs_call Reload || fail "Reload failed"
grep -v -e '10.1.0.200:25' "$TEST_TMP/expected3" > "$TEST_TMP/expected4"
check_table "$TEST_TMP/expected4"
log "own_table: foreign service removed"
echo "PASS: $TEST_NAME"
