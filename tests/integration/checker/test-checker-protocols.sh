#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigil-checkerd in a network namespace against real services in another:
# https (CA verification, wrong SNI, expired certificate, TLS 1.1 downgrade,
# TLS to a plain port), smtp, udp (reply pattern, ICMP port unreachable),
# ping (unprivileged ping sockets, ping_group_range unset = unknown), dns
# (rcode and answer through c-ares), file (inotify), and a blackholed address
# (timeouts). Each check is driven with RunNow and its up→down→up is checked
# against the StateChanged signals.
. "${VIGIL_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}/tests/integration/common/lib.sh"
require_root
require_cmd python3 busctl openssl ip
HERE=$VIGIL_SOURCE_ROOT/tests/integration/checker
bus_start

CHK=$(netns_add chk)
SRV=$(netns_add srv)
veth_add "$CHK" eth0 "$SRV" eth0
NET=10.$((100 + RANDOM % 100)).$((RANDOM % 250))
ip -n "$CHK" addr add $NET.1/24 dev eth0
ip -n "$SRV" addr add $NET.2/24 dev eth0
SRVADDR=$NET.2
BLACKHOLE=$NET.77   # on-link, nobody answers ARP: silence, no ICMP

# certificates made now: a CA, a good leaf, an expired leaf, a self-signed one
C=$TEST_TMP/certs
mkdir -p "$C"
(
cd "$C"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=vigil-test-ca
for n in good expired; do
    openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=good.test -addext "subjectAltName=DNS:good.test"
done
openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out good.crt -days 2 -copy_extensions copy
openssl x509 -req -in expired.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out expired.crt -days -1 -copy_extensions copy
openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.crt -days 2 -subj /CN=self.test
cat good.key good.crt > good.pem; cat expired.key expired.crt > expired.pem; cat self.key self.crt > self.pem
) >"$TEST_TMP/openssl.log" 2>&1 || fail "openssl"

P=$(( 20000 + RANDOM % 20000 ))
P_HTTPS=$P P_EXPIRED=$((P+1)) P_SELF=$((P+2)) P_OLD=$((P+3)) P_PLAIN=$((P+4)) P_SMTP=$((P+5)) P_UDP=$((P+6))
P_DNS=$((P+7)) P_CLOSED=$((P+8))
B=$TEST_TMP/backends
mkdir -p "$B"
ip netns exec "$SRV" python3 "$HERE/backends.py" "$B" --addr=$SRVADDR https:$P_HTTPS:$C/good.pem \
    https:$P_EXPIRED:$C/expired.pem https:$P_SELF:$C/self.pem https-old:$P_OLD:$C/good.pem http:$P_PLAIN \
    smtp:$P_SMTP udp:$P_UDP dns:$P_DNS >"$TEST_TMP/backends.log" 2>&1 &
cleanup_add "kill $!"
wait_for 30 test -f "$B/ready" || fail "backends did not start"

echo 5 > "$TEST_TMP/weight"
STEP="interval: 1h, warmup: 1ms"
cat > "$TEST_TMP/vigil.yaml" <<YAML
checks:
  https_ok: {type: https, address: $SRVADDR, port: $P_HTTPS, tls_verify: true, ca_file: $C/ca.pem, sni: good.test, fall: 2, rise: 2, $STEP}
  https_wrong_sni: {type: https, address: $SRVADDR, port: $P_HTTPS, tls_verify: true, ca_file: $C/ca.pem, sni: wrong.test, $STEP}
  https_expired: {type: https, address: $SRVADDR, port: $P_EXPIRED, tls_verify: true, ca_file: $C/ca.pem, sni: good.test, $STEP}
  https_noverify: {type: https, address: $SRVADDR, port: $P_SELF, $STEP}
  https_old: {type: https, address: $SRVADDR, port: $P_OLD, $STEP}
  https_plain: {type: https, address: $SRVADDR, port: $P_PLAIN, $STEP}
  smtp_ok: {type: smtp, address: $SRVADDR, port: $P_SMTP, helo_name: checker.test, $STEP}
  udp_ok: {type: udp, address: $SRVADDR, port: $P_UDP, payload: "ping\\\\x21\\\\n", expect: "^PONG ping!", require_reply: true, $STEP}
  udp_closed: {type: udp, address: $SRVADDR, port: $P_CLOSED, payload: "x", $STEP}
  udp_silent: {type: udp, address: $BLACKHOLE, port: $P_UDP, payload: "x", timeout: 300ms, $STEP}
  ping_ok: {type: ping, address: $SRVADDR, timeout: 1s, $STEP}
  ping_blackhole: {type: ping, address: $BLACKHOLE, timeout: 500ms, $STEP}
  tcp_blackhole: {type: tcp, address: $BLACKHOLE, port: 80, timeout: 500ms, $STEP}
  dns_ok: {type: dns, address: $SRVADDR, port: $P_DNS, query_name: ok.test, query_type: A, expect_answer: 10.1.2.3, $STEP}
  dns_nx: {type: dns, address: $SRVADDR, port: $P_DNS, query_name: nope.test, query_type: A, expect_rcode: 3, $STEP}
  weight_file: {type: file, path: $TEST_TMP/weight, interval: 1h}
YAML

$BUSCTL --json=short monitor --match "type='signal',member='StateChanged'" >"$TEST_TMP/signals.json" 2>"$TEST_TMP/monitor.log" &
cleanup_add "kill $!"
sleep 0.3
# ping sockets: first without permission (the check cannot run: unknown)
ip netns exec "$CHK" sysctl -q -w net.ipv4.ping_group_range="1 0"
daemon_start_ns "$CHK" checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"
wait_for 30 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its bus name"

enc() { python3 -c 'import sys; sys.argv.append(""); exec(open(sys.argv[1]).read().split("path = ")[0]); print(bus_path_encode("/org/vigil/Checker1/check", sys.argv[2]))' "$HERE/signals.py" "$1"; }
prop() { $BUSCTL get-property org.vigil.Checker1 "$(enc "$1")" org.vigil.Checker1.Check "$2" | cut -d' ' -f2- | tr -d '"'; }
# a predicate for wait_for: the $(...) must run on every poll, not once when wait_for is called
prop_is() { [ "$(prop "$1" "$2" 2>/dev/null)" = "$3" ]; }
run() { $BUSCTL --json=short call org.vigil.Checker1 "$(enc "$1")" org.vigil.Checker1.Check RunNow |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d[0] + "|" + d[1])'; }
expect_run() { local got; got=$(run "$1"); [[ "$got" == $2 ]] || fail "$1 RunNow: expected '$2', got '$got'"; log "$1: $got"; }
transitions() { sleep 0.2; python3 "$HERE/signals.py" "$TEST_TMP/signals.json" "$1" | tr '\n' ' ' | sed 's/ $//'; }

log "ping without ping_group_range: unknown, not down"
expect_run ping_ok 'unknown|cannot open a ping socket*'
ip netns exec "$CHK" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
expect_run ping_ok 'up|echo reply'
# Nobody answers ARP for the blackholed address: the first probe times out;
# once the kernel has marked the neighbour FAILED it may refuse at once with
# EHOSTUNREACH. Both are "down", neither may hang.
for c in ping_blackhole tcp_blackhole; do
    got=$(run $c)
    case "$got" in
        "down|timeout after 500ms"|"down|connect: No route to host"|"down|send: No route to host"|"down|ICMP error: No route to host") log "$c: $got" ;;
        *) fail "$c RunNow: got '$got'" ;;
    esac
done

log "https"
expect_run https_ok 'up|HTTP status 200'
expect_run https_wrong_sni 'down|TLS handshake: certificate verify failed: hostname mismatch'
expect_run https_expired 'down|TLS handshake: certificate verify failed: certificate has expired'
expect_run https_noverify 'up|HTTP status 200'
expect_run https_old 'down|TLS handshake: *'
expect_run https_plain 'down|TLS handshake: *'
echo 500 > "$B/status-$P_HTTPS"
expect_run https_ok 'up|HTTP status 500'
expect_run https_ok 'down|HTTP status 500'
echo 200 > "$B/status-$P_HTTPS"
expect_run https_ok 'down|HTTP status 200'
expect_run https_ok 'up|HTTP status 200'
assert_eq "$(transitions https_ok)" "up>down down>up" "https_ok StateChanged"
grep -q "good.test" "$B/requests-$P_HTTPS" || true

log "smtp"
expect_run smtp_ok 'up|SMTP EHLO 250'
printf '554 go away\r\n' > "$B/smtp-$P_SMTP"
expect_run smtp_ok 'down|SMTP banner 554'
printf '220-first\r\n220 second line\r\n' > "$B/smtp-$P_SMTP"
expect_run smtp_ok 'up|SMTP EHLO 250'
assert_eq "$(transitions smtp_ok)" "up>down down>up" "smtp_ok StateChanged"

log "udp"
expect_run udp_ok 'up|reply of *'
grep -q "b'ping!\\\\n'" "$B/requests-$P_UDP" || fail "udp payload escapes not decoded: $(cat "$B/requests-$P_UDP")"
echo "WRONG " > "$B/udp-$P_UDP"
expect_run udp_ok 'down|reply * does not match the expected pattern'
rm "$B/udp-$P_UDP"
expect_run udp_ok 'up|reply of *'
assert_eq "$(transitions udp_ok)" "up>down down>up" "udp_ok StateChanged"
expect_run udp_closed 'down|ICMP error: Connection refused'
expect_run udp_silent 'up|no reply and no ICMP error within 300ms'

log "dns"
expect_run dns_ok 'up|DNS NOERROR'
expect_run dns_nx 'up|DNS NXDOMAIN'
echo 10.9.9.9 > "$B/dns-addr-$P_DNS"
expect_run dns_ok 'down|DNS answer does not contain 10.1.2.3'
echo other.test > "$B/dns-$P_DNS"
expect_run dns_ok 'down|DNS rcode NXDOMAIN (3), expected NOERROR (0)'
rm "$B/dns-$P_DNS" "$B/dns-addr-$P_DNS"
expect_run dns_ok 'up|DNS NOERROR'
assert_eq "$(transitions dns_ok)" "up>down down>up" "dns_ok StateChanged"

log "file (inotify, no RunNow: the change itself triggers the run)"
wait_for 5 prop_is weight_file Weight 5 || fail "weight_file: weight $(prop weight_file Weight), expected 5"
echo 0 > "$TEST_TMP/weight"
wait_for 5 prop_is weight_file State down || fail "weight_file did not go down on 0"
echo "  42  " > "$TEST_TMP/weight.new" && mv "$TEST_TMP/weight.new" "$TEST_TMP/weight"
wait_for 5 prop_is weight_file State up || fail "weight_file did not come back"
assert_eq "$(prop weight_file Weight)" 42 "weight from the file"
assert_eq "$(transitions weight_file)" "up>down down>up" "weight_file StateChanged"

python3 "$HERE/signals.py" "$TEST_TMP/signals.json" >/dev/null || fail "StateChanged seq not increasing"

log "vigilctl checks / check run"
OUT=$("$VIGILCTL" checks) || fail "vigilctl checks failed"
echo "$OUT" | grep -E "^smtp_ok +smtp +$SRVADDR:$P_SMTP +up +0 " >/dev/null || fail "vigilctl checks row for smtp_ok: $OUT"
echo "$OUT" | grep -E "^ping_blackhole +ping +$BLACKHOLE +down +0 " >/dev/null || fail "vigilctl checks row for ping_blackhole: $OUT"
assert_contains "$OUT" "16 checks." "vigilctl checks footer"
"$VIGILCTL" --json checks | python3 -c '
import json, sys
d = {c["name"]: c for c in json.load(sys.stdin)}
assert len(d) == 16, len(d)
assert d["weight_file"]["weight"] == 42 and d["weight_file"]["state"] == "up", d["weight_file"]
assert d["https_expired"]["last_error"].startswith("TLS handshake: certificate verify failed"), d["https_expired"]
c = d["dns_ok"]["counters"]; assert c["runs"] == 5 and c["up"] == 3 and c["down"] == 2 and c["transitions"] == 2, c
' || fail "vigilctl --json checks"
assert_eq "$("$VIGILCTL" check run smtp_ok)" "smtp_ok: up (SMTP EHLO 250)" "vigilctl check run"
OUT=$("$VIGILCTL" check run no_such 2>&1) && fail "check run of a missing check succeeded"
assert_contains "$OUT" "No check named 'no_such'" "vigilctl check run error"
log "PASS"
