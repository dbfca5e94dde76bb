#!/bin/bash
# Guest half of test-status-ipvs.sh (runs in the qemu guest: real ip_vs).
# vigil-ipvsd and vigil-checkerd with a NAT service of three real servers
# (an inline check that is up, a named check that is down, none) and a
# second service of 70 unchecked ones; real traffic through the VIP. Checks
# vigilctl status's virtual-service rows (weights, health from the bound
# checks, connections), the summary of healthy destinations and --all, and
# writes --json to OUTDIR for the host half to parse (the guest has no Python).
OUT=$1
. "$(dirname "$0")/../../vm/ipvs/lib-ipvs.sh"
require_cmd busctl ipvsadm busybox
[ -d "$OUT" ] || fail "no output dir '$OUT'"
# Waits by the clock (bash's SECONDS), not by a count of tries: under
# emulation one try of vigilctl status can take a second or more.
wait_s() {
    local end=$((SECONDS + $1)); shift
    while ((SECONDS < end)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}
bus_start
cleanup_add "ipvsadm -C"

cl=$(netns_add client)
rs=$(netns_add rs)
veth_add "$cl" eth0 "" vcl0
veth_add "$rs" eth0 "" vrs0
ip addr add 10.10.0.1/24 dev vcl0
ip addr add 10.10.0.100/32 dev vcl0          # the VIP
ip addr add 10.20.0.1/24 dev vrs0
ip -n "$cl" addr add 10.10.0.2/24 dev eth0
ip -n "$cl" route add default via 10.10.0.1
for a in 2 3 4; do ip -n "$rs" addr add 10.20.0.$a/24 dev eth0; done
ip -n "$rs" route add default via 10.20.0.1  # NAT: replies go back through the director
sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$TEST_TMP/www"; echo hello > "$TEST_TMP/www/index.html"
chmod 755 "$TEST_TMP" "$TEST_TMP/www"
ip route add 10.30.0.0/24 dev vrs0            # the second service's real servers (never sent traffic)
for a in 2 4; do
    ip netns exec "$rs" busybox httpd -f -p 10.20.0.$a:8080 -h "$TEST_TMP/www" &
    cleanup_add "kill $!"
    wait_s 30 ip netns exec "$rs" busybox wget -q -O /dev/null http://10.20.0.$a:8080/ || fail "real server 10.20.0.$a did not start"
done

# checkerd probes from the guest's own namespace: 10.20.0.2 answers, 10.20.0.3:8080 refuses.
{
cat <<'Y'
checks:
  chk_rs2: {type: tcp, address: 10.20.0.3, port: 8080, interval: 1s, warmup: 1ms, timeout: 2s}
virtual_servers:
  - address: 10.10.0.100
    port: 80
    scheduler: wrr
    forwarding: nat
    real_servers:
      - {address: 10.20.0.2, port: 8080, weight: 3, check: {type: tcp, connect_timeout: 2s}}
      - {address: 10.20.0.3, port: 8080, weight: 2, check: chk_rs2}
      - {address: 10.20.0.4, port: 8080, weight: 1}
  - address: 10.10.0.100
    port: 81
    scheduler: rr
    forwarding: nat
    real_servers:
Y
for i in $(seq 1 70); do echo "      - {address: 10.30.0.$i, port: 8080}"; done
} > "$TEST_TMP/vigil.yaml"
VIGIL_STATE_DIR=$TEST_TMP/state-c daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"
VIGIL_STATE_DIR=$TEST_TMP/state-i daemon_start ipvsd "$IPVSD" -c "$TEST_TMP/vigil.yaml"
wait_s 60 bus_has_name org.vigil.Checker1 || fail "checkerd did not start"
wait_s 60 bus_has_name org.vigil.Ipvs1 || fail "ipvsd did not start"
log "daemons up ($SECONDS s)"
ctl() { "$VIGILCTL" -c "$TEST_TMP/vigil.yaml" "$@"; }
# the down check takes 10.20.0.3 to weight 0 (inhibit_on_failure)
wait_s 60 bash -c "ipvsadm -Ln -t 10.10.0.100:80 | grep -qE '10\.20\.0\.3:8080 +Masq +0 '" ||
    fail "10.20.0.3 never went to weight 0: $(ipvsadm -Ln; ctl status; tail -5 "$TEST_TMP/ipvsd.log" "$TEST_TMP/checkerd.log")"
log "10.20.0.3 at weight 0 ($SECONDS s)"
wait_s 60 bash -c "'$VIGILCTL' -c '$TEST_TMP/vigil.yaml' status --all | grep -qE '→ 10\.20\.0\.2:8080 +nat +3 +up '" ||
    fail "10.20.0.2 never showed up: $(ctl status --all)"
log "status shows 10.20.0.2 up ($SECONDS s)"

N=6
for i in $(seq 1 $N); do
    out=$(ip netns exec "$cl" busybox wget -q -O - http://10.10.0.100/) || fail "request $i through the VIP failed"
    assert_eq "$out" hello "request $i through the VIP"
done
# the kernel folds per-CPU counters into the totals every 2 s: ipvsadm is the oracle
wait_s 30 bash -c "[ \"\$(ipvsadm -Ln --stats -t 10.10.0.100:80 | awk '/^TCP/ {print \$3}')\" = $N ]" ||
    fail "ipvsadm never showed $N connections: $(ipvsadm -Ln --stats)"

# 73 destinations in all: healthy ones are summarised, the unhealthy one is listed
out=$(ctl status); rc=$?
echo "$out" > "$OUT/status.txt"
assert_eq "$rc" 3 "status exit code (vrrpd not running)"
assert_contains "$out" "○ vigil-vrrpd: not running" "vrrpd line"
assert_contains "$out" "● vigil-ipvsd: running" "ipvsd line"
assert_contains "$out" ", 2 services" "service count"
assert_contains "$out" "Virtual services: 2, 73 destinations" "services title"
grep -qE "^  tcp:10\.10\.0\.100:80 wrr +4 +2/3 +[0-9.KM]+ +[0-9.KM]+ +$N " <<<"$out" || fail "service row: $out"
grep -qE '^    → 10\.20\.0\.3:8080 +nat +0 +down +0 +0 +0 .*  check chk_rs2$' <<<"$out" || fail "named-check destination row: $out"
grep -qE "^  tcp:10\.10\.0\.100:81 rr +70 +70/70 " <<<"$out" || fail "big service row: $out"
assert_contains "$out" "(72 healthy destinations not shown; --all lists them)" "summary of the healthy destinations"
grep -qE '^    → (10\.30\.0\.|10\.20\.0\.[24]:)' <<<"$out" && fail "healthy destinations listed without --all: $out"
# --all: every destination
all=$(ctl status --all)
echo "$all" > "$OUT/status-all.txt"
grep -qE "^    → 10\.20\.0\.2:8080 +nat +3 +up +[0-9.KM]+ +[0-9.KM]+ +[1-9][0-9]* +[0-9]+ +[0-9.KM]+ +[0-9.KM]+  check tcp:10\.10\.0\.100:80/10\.20\.0\.2:8080$" <<<"$all" ||
    fail "inline-check destination row: $all"
grep -qE '^    → 10\.20\.0\.4:8080 +nat +1 +- ' <<<"$all" || fail "unchecked destination row: $all"
assert_eq "$(grep -cE '^    → 10\.30\.0\.[0-9]+:8080 +nat +1 +- ' <<<"$all")" 70 "--all destination rows"
grep -q "not shown" <<<"$all" && fail "--all still summarises: $all"
# columns line up: the weights of a service and of a destination end where
# the WEIGHT header ends (awk counts bytes: "→" is 3 bytes for 1 column)
hdr=$(grep -E '^  SERVICE / DESTINATION' <<<"$all")
p=$(awk -v s="$hdr" 'BEGIN { print index(s, "WEIGHT") + 5 }')
svc=$(grep -E '^  tcp:10\.10\.0\.100:80 ' <<<"$all")
dst=$(grep -E '^    → 10\.20\.0\.2:8080 ' <<<"$all")
[ "$(awk -v s="$svc" -v p="$p" 'BEGIN { print substr(s, p - 1, 3) }')" = " 4 " ] || fail "service weight not under WEIGHT:\n$hdr\n$svc"
[ "$(awk -v s="$dst" -v p="$p" 'BEGIN { print substr(s, p + 1, 3) }')" = " 3 " ] || fail "destination weight not under WEIGHT:\n$hdr\n$dst"
# without the configuration a named check is unknown to vigilctl: '-', and a warning says why
ctl_nocfg=$("$VIGILCTL" -c /nonexistent/vigil.yaml status --all 2>"$TEST_TMP/err")
grep -qE '^    → 10\.20\.0\.3:8080 +nat +0 +- ' <<<"$ctl_nocfg" || fail "named check without the config: $ctl_nocfg"
assert_contains "$(cat "$TEST_TMP/err")" "/nonexistent/vigil.yaml: cannot be loaded" "warning without the config"
ctl status --json > "$OUT/status.json"
ctl --json top --once > "$OUT/top.json" || fail "top --once --json"
echo "$N" > "$OUT/n"
log "OK"
