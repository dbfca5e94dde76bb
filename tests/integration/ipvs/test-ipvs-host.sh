#!/bin/bash
# vigil-ipvsd and the vigilctl IPVS verbs on the host, on a private bus.
# The table itself is tested in the VM tier (tests/vm/ipvs) because the host
# kernel may have no ip_vs; here:
#  - without ip_vs: ipvsd refuses to start with the sentence that says what to
#    do ("... (modprobe ip_vs)"); with ip_vs: it starts and Dump() answers;
#  - an IPVS-specific config error stops it with FILE:LINE:COL;
#  - vigilctl ipvs import turns ipvsadm-save output into YAML the daemon
#    accepts, and reports a bad line as FILE:LINE;
#  - vigilctl services/ipvs dump say clearly when ipvsd is not running.
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_root
bus_start

cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<'Y'
virtual_servers:
  - address: 192.0.2.10
    port: 80
    scheduler: wrr
    forwarding: nat
    real_servers:
      - {address: 192.0.2.20, port: 8080, weight: 2}
Y

# ---- IPVS present or not: each case asserted ----
"$IPVSD" -c "$cfg" --state-dir "$TEST_TMP/state" --log-target=console > "$TEST_TMP/ipvsd.log" 2>&1 &
pid=$!
cleanup_add "kill -9 $pid"
if [ -e /proc/net/ip_vs ]; then
    cleanup_add "ipvsadm -D -t 192.0.2.10:80"
    wait_for 30 bus_has_name org.vigil.Ipvs1 || fail "ipvsd did not start: $(cat "$TEST_TMP/ipvsd.log")"
    out=$("$VIGILCTL" ipvs dump) || fail "vigilctl ipvs dump"
    assert_contains "$out" "-a -t 192.0.2.10:80 -r 192.0.2.20:8080 -m -w 2" "dump"
    kill "$pid"
else
    for (( i = 0; i < 200; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && fail "ipvsd kept running without IPVS"
    wait "$pid"; rc=$?
    assert_eq "$rc" 1 "exit status without IPVS"
    assert_contains "$(cat "$TEST_TMP/ipvsd.log")" \
        'IPVS is not available in this kernel: the generic netlink family "IPVS" is missing (modprobe ip_vs)' "message without IPVS"
    bus_has_name org.vigil.Ipvs1 && fail "bus name taken by a daemon that could not start"
    log "no ip_vs here: refused with the modprobe hint"
fi

# ---- IPVS-specific config errors: FILE:LINE:COL, before touching anything ----
cat > "$TEST_TMP/bad.yaml" <<'Y'
virtual_servers:
  - address: 192.0.2.10
    port: 53
    protocol: tcp
    scheduler: rr
    flags: [one-packet]
    real_servers: [{address: 192.0.2.20}]
Y
"$IPVSD" -c "$TEST_TMP/bad.yaml" --state-dir "$TEST_TMP/state" --log-target=console > "$TEST_TMP/bad.log" 2>&1 && fail "started with a bad config"
assert_contains "$(cat "$TEST_TMP/bad.log")" "$TEST_TMP/bad.yaml:2:5: error: tcp:192.0.2.10:53: one-packet scheduling is for UDP services" "config error"

# ---- vigilctl ipvs import ----
cat > "$TEST_TMP/rules.save" <<'E'
-A -t 192.0.2.10:80 -s wrr -p 300 -M 255.255.255.0
-a -t 192.0.2.10:80 -r 192.0.2.20:8080 -m -w 3 -x 50 -y 5
-a -t 192.0.2.10:80 -r 192.0.2.21:8080 -m -w 1
-A -u [2001:db8::1]:53 -s sh -b sh-port -o
-a -u [2001:db8::1]:53 -r [2001:db8::5]:53 -g -w 1
-A -f 42 -s rr
-a -f 42 -r 192.0.2.30 -i -w 1 --tun-type gue --tun-port 6080
E
"$VIGILCTL" ipvs import "$TEST_TMP/rules.save" > "$TEST_TMP/imported.yaml" || fail "import"
"$IPVSD" -c "$TEST_TMP/imported.yaml" --check-config > /dev/null || { cat "$TEST_TMP/imported.yaml" >&2; fail "imported YAML rejected"; }
y=$(cat "$TEST_TMP/imported.yaml")
assert_contains "$y" 'persistence: {timeout: 300s, netmask: 255.255.255.0}' "persistence"
assert_contains "$y" 'flags: [one-packet, sh-port]' "flags"
assert_contains "$y" 'tunnel: {type: gue, port: 6080}' "tunnel"
assert_contains "$y" 'upper_threshold: 50' "thresholds"
printf -- '-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 192.0.2.20 -w lots\n' > "$TEST_TMP/broken.save"
out=$("$VIGILCTL" ipvs import "$TEST_TMP/broken.save" 2>&1) && fail "broken import accepted"
assert_contains "$out" "$TEST_TMP/broken.save:2: -w: 'lots' is not a weight (0..65535)" "import error location"

# ---- verbs without the daemon ----
out=$("$VIGILCTL" ipvs dump 2>&1) && fail "ipvs dump without ipvsd succeeded"
assert_contains "$out" "the daemon is not running" "dump without ipvsd"
out=$("$VIGILCTL" services 2>&1) && fail "services without ipvsd succeeded"
assert_contains "$out" "the daemon is not running" "services without ipvsd"
out=$("$VIGILCTL" ipvs set-weight tcp:192.0.2.10:80 192.0.2.20 99999 2>&1) && fail "bad weight accepted"
assert_contains "$out" "WEIGHT '99999' must be 0..65535" "set-weight range"
echo "PASS: ipvs host"
