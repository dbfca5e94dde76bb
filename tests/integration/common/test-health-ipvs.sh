#!/bin/bash
# Health → IPVS (runs in the VM tier: needs ip_vs). A real server's HTTP
# service stops → within fall × interval its weight is 0 in ipvsadm -Ln;
# restarted → weight back. checkerd SIGKILLed → the table does not change
# (fail-static), even while a real server's health changes; checkerd back →
# resync from its check objects. Quorum: below quorum the sorry server alone
# serves; back above quorum + hysteresis, the real servers return.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ipvsadm busybox
[ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null || skip "no IPVS in this kernel (the vm suite runs this test)"
bus_start

d=$(netns_add dir)
rs=$(netns_add rs)
veth_add "$d" eth0 "$rs" eth0
ip -n "$d" addr add 10.98.0.1/24 dev eth0
for a in 11 12 13; do ip -n "$rs" addr add 10.98.0.$a/24 dev eth0; done
www=$TEST_TMP/www; mkdir -p "$www"; echo ok > "$www/index.html"
httpd() { # start|stop N
    if [ "$1" = start ]; then
        ip netns exec "$rs" busybox httpd -f -p 10.98.0.$2:80 -h "$www" &
        eval "HTTPD_$2=$!"; cleanup_add "kill $!"
    else
        local v="HTTPD_$2"; kill "${!v}"; wait "${!v}" 2>/dev/null || true
    fi
}
httpd start 11; httpd start 12; httpd start 13

cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<'YAML'
virtual_servers:
  - address: 10.98.0.100
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: nat
    delay_loop: 1s
    real_servers:
      - {address: 10.98.0.11, port: 80, check: {type: http, path: /, connect_timeout: 1s, fall: 1, rise: 1}}
      - {address: 10.98.0.12, port: 80, check: {type: http, path: /, connect_timeout: 1s, fall: 1, rise: 1}}
  - address: 10.98.0.101
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: nat
    delay_loop: 1s
    quorum: 2
    sorry_server: 10.98.0.13:80
    real_servers:
      - {address: 10.98.0.11, port: 80, check: {type: http, path: /, connect_timeout: 1s, fall: 1, rise: 1}}
      - {address: 10.98.0.12, port: 80, check: {type: http, path: /, connect_timeout: 1s, fall: 1, rise: 1}}
YAML
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start_ns "$d" checkerd "$CHECKERD" -c "$cfg"
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start_ns "$d" ipvsd "$IPVSD" -c "$cfg"

weight() { # VIP RS → weight, or "absent"
    local w
    w=$(ip netns exec "$d" ipvsadm -Ln -t "$1:80" 2>/dev/null | awk -v rs="$2:80" '$2==rs {print $4}')
    echo "${w:-absent}"
}
weight_is() { [ "$(weight "$1" "$2")" = "$3" ]; }

wait_for 30 weight_is 10.98.0.100 10.98.0.11 1 || fail "service not programmed: $(ip netns exec "$d" ipvsadm -Ln)"
wait_for 10 weight_is 10.98.0.100 10.98.0.12 1 || fail "rs2 weight"

# 1. a real server's HTTP goes away → weight 0 (inhibit_on_failure, the default)
t0=$(now_ns)
httpd stop 11
wait_for 15 weight_is 10.98.0.100 10.98.0.11 0 || fail "rs1 down: weight $(weight 10.98.0.100 10.98.0.11), expected 0"
log "rs1 down → weight 0 after $(( ($(now_ns) - t0) / 1000000 )) ms"
weight_is 10.98.0.100 10.98.0.12 1 || fail "rs2 must stay in rotation"

# quorum: service 2 lost quorum (live weight 1 < 2) → the sorry server alone
wait_for 10 weight_is 10.98.0.101 10.98.0.13 1 || fail "sorry server not in service 2: $(ip netns exec "$d" ipvsadm -Ln -t 10.98.0.101:80)"
[ "$(weight 10.98.0.101 10.98.0.12)" = absent ] || fail "with quorum lost only the sorry server serves"

httpd start 11
wait_for 15 weight_is 10.98.0.100 10.98.0.11 1 || fail "rs1 back: weight $(weight 10.98.0.100 10.98.0.11), expected 1"
wait_for 10 weight_is 10.98.0.101 10.98.0.11 1 || fail "quorum back: real servers return to service 2"
[ "$(weight 10.98.0.101 10.98.0.13)" = absent ] || fail "sorry server withdrawn once quorum is back"

# 2. checkerd killed: nothing changes, even when health changes meanwhile
before=$(ip netns exec "$d" ipvsadm -Ln)
kill -9 "$checkerd_PID"
wait_for 5 bash -c "! $BUSCTL --list --no-legend | grep -q org.vigil.Checker1" || fail "checkerd still on the bus"
httpd stop 12
sleep 4
after=$(ip netns exec "$d" ipvsadm -Ln)
[ "$before" = "$after" ] || fail "the table changed while checkerd was away (must be fail-static)"
grep -q "fail-static" "$TEST_TMP/ipvsd.log" || fail "ipvsd did not notice checkerd leaving"

# 3. checkerd back → resync: rs2 (down meanwhile) goes to 0, rs1 stays 1 throughout
VIGIL_STATE_DIR=$TEST_TMP/state daemon_start_ns "$d" checkerd "$CHECKERD" -c "$cfg"
end=$(( $(date +%s) + 15 ))
while [ "$(date +%s)" -lt $end ]; do
    [ "$(weight 10.98.0.100 10.98.0.11)" = 1 ] || fail "rs1 flapped while checkerd came back"
    weight_is 10.98.0.100 10.98.0.12 0 && break
    sleep 0.2
done
weight_is 10.98.0.100 10.98.0.12 0 || fail "after checkerd returned, rs2 (down) should be weight 0: $(weight 10.98.0.100 10.98.0.12)"
echo ok
