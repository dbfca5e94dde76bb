#!/bin/bash
# vigil-ipvsd when things go wrong, against the real kernel:
#  - a scheduler the kernel lacks (twos is not in this guest's 6.1 kernel):
#    a clear error naming the service and its config line, the rest applied;
#  - IPVS-specific config errors refused with file:line:col;
#  - SetWeight (manual drain): one netlink op, PropertiesChanged, survives a
#    reload, -1 restores; bad arguments and unknown objects are clear errors;
#  - mutating calls refused for an unprivileged caller, reads allowed.
TEST_NAME=ipvs-errors
. "$(dirname "$0")/lib-ipvs.sh"
ipvs_net_setup
bus_start

modprobe ip_vs_twos 2>/dev/null && skip "this kernel has ip_vs_twos; the rejection test needs a missing scheduler"

cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<'Y'
ipvs:
  reconcile_interval: 1h
virtual_servers:
  - address: 10.1.0.100
    port: 80
    scheduler: wrr
    forwarding: dr
    real_servers:
      - {address: 10.2.0.1, weight: 3}
      - {address: 10.2.0.2, weight: 2}
  - address: 10.1.0.100
    port: 81
    scheduler: twos
    forwarding: dr
    real_servers:
      - {address: 10.2.0.1}
  - address: 10.1.0.100
    port: 82
    scheduler: rr
    forwarding: dr
    real_servers:
      - {address: 10.2.0.3}
Y
start_ipvsd "$cfg"

# ---- 1. kernel rejects one service: clear error, the rest applied ----
save_sorted > "$TEST_TMP/actual"
sort > "$TEST_TMP/expected" <<'E'
-A -t 10.1.0.100:80 -s wrr
-a -t 10.1.0.100:80 -r 10.2.0.1:80 -g -w 3
-a -t 10.1.0.100:80 -r 10.2.0.2:80 -g -w 2
-A -t 10.1.0.100:82 -s rr
-a -t 10.1.0.100:82 -r 10.2.0.3:82 -g -w 1
E
diff -u "$TEST_TMP/expected" "$TEST_TMP/actual" >&2 || fail "the services the kernel accepts were not all applied"
errs=$($BUSCTL get-property org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager LastErrors | sed "s/\\\\'/'/g")
assert_contains "$errs" "add-service tcp:10.1.0.100:81: scheduler 'twos' is not available (kernel module ip_vs_twos missing?) ($cfg:11:5)" "LastErrors"
assert_contains "$(cat "$TEST_TMP/ipvsd.log")" "scheduler 'twos' is not available" "journal"
# one error for the service, not one more per dest of it
assert_eq "$(grep -c '10.1.0.100:81' <<<"$errs")" 1 "errors for the rejected service"
log "unknown scheduler: one clear error, other services applied"

# ---- 2. SetWeight: drain one dest with one op ----
$BUSCTL monitor --match "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='/org/vigil/Ipvs1/service/tcp_3a10_2e1_2e0_2e100_3a80'" > "$TEST_TMP/monitor" 2>&1 &
mon=$!
cleanup_add "kill $mon"
sleep 1
sendmsg_before=$($BUSCTL get-property org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Counters | grep -o '"sendmsg" [0-9]*' | awk '{print $2}')
ipvs_call SetWeight ssi tcp:10.1.0.100:80 10.2.0.1:80 0 || fail "SetWeight failed"
ipvsadm -Sn | grep -q -- '-r 10.2.0.1:80 -g -w 0' || { ipvsadm -Sn >&2; fail "weight not 0 after SetWeight"; }
counters=$($BUSCTL get-property org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Counters)
assert_contains "$counters" '"last_ops" 1' "SetWeight is one op"
sendmsg_after=$(grep -o '"sendmsg" [0-9]*' <<<"$counters" | awk '{print $2}')
assert_eq "$((sendmsg_after - sendmsg_before))" 1 "sendmsg calls for one SetWeight"
sleep 1
grep -q 'Destinations' "$TEST_TMP/monitor" || { cat "$TEST_TMP/monitor" >&2; fail "no PropertiesChanged(Destinations) after SetWeight"; }
$BUSCTL get-property org.vigil.Ipvs1 /org/vigil/Ipvs1/service/tcp_3a10_2e1_2e0_2e100_3a80 org.vigil.Ipvs1.Service Destinations \
    | grep -q '"10.2.0.1" 80 0 ' || fail "Destinations property does not show weight 0"
# the override survives a reload, -1 gives the configured weight back
ipvs_call Reload || fail "Reload"
ipvsadm -Sn | grep -q -- '-r 10.2.0.1:80 -g -w 0' || fail "manual weight lost on reload"
ipvs_call -- SetWeight ssi tcp:10.1.0.100:80 10.2.0.1 -1 || fail "SetWeight -1"
ipvsadm -Sn | grep -q -- '-r 10.2.0.1:80 -g -w 3' || fail "configured weight not restored"
log "SetWeight: 1 op, 1 sendmsg, PropertiesChanged, kept over reload, -1 restores"

# bad input: clear errors naming the argument
out=$(ipvs_call SetWeight ssi tcp:10.1.0.100:80 10.2.0.1 70000 2>&1) && fail "weight 70000 accepted"
assert_contains "$out" "weight 70000 out of range" "SetWeight range"
out=$(ipvs_call SetWeight ssi tcp:10.9.9.9:80 10.2.0.1 1 2>&1) && fail "unknown service accepted"
assert_contains "$out" "service tcp:10.9.9.9:80 is not in vigil's configuration" "SetWeight service"
out=$(ipvs_call SetWeight ssi tcp:10.1.0.100:80 10.7.7.7 1 2>&1) && fail "unknown dest accepted"
assert_contains "$out" "10.7.7.7 is not a real server of tcp:10.1.0.100:80" "SetWeight dest"
out=$(ipvs_call SetWeight ssi nonsense 10.2.0.1 1 2>&1) && fail "bad service key accepted"
assert_contains "$out" "is not a service key" "SetWeight key"

# ---- 3. authorization: reads open, changes for root / vigil-admin only ----
chmod 755 "$TEST_TMP"   # the bus socket lives there
asnobody() { su -s /bin/sh nobody -c "$*"; }
[ "$(asnobody id -u)" = 65534 ] || fail "test bug: cannot run as nobody"
asnobody $BUSCTL call org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Dump >/dev/null || fail "Dump refused to an unprivileged user"
for call in "SetWeight ssi tcp:10.1.0.100:80 10.2.0.1 0" "ZeroCounters" "Reload"; do
    out=$(asnobody $BUSCTL call org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager $call 2>&1) && fail "$call allowed to nobody"
    # busctl prints every AccessDenied as "Access denied"; the daemon logs who and what
    assert_contains "$out" "Access denied" "$call as nobody"
    assert_contains "$(cat "$TEST_TMP/ipvsd.log")" "Denied org.vigil.Ipvs1.Manager.${call%% *}() to uid 65534" "log of $call"
done
ipvsadm -Sn | grep -q -- '-r 10.2.0.1:80 -g -w 3' || fail "an unprivileged SetWeight changed the table"
ipvs_call ZeroCounters || fail "ZeroCounters as root"
log "authorization: reads open, SetWeight/ZeroCounters/Reload refused to nobody"

# ---- 4. IPVS-specific config errors: refused with file:line:col ----
stop_ipvsd
cat > "$cfg" <<'Y'
virtual_servers:
  - address: 10.1.0.100
    port: 80
    scheduler: rr
    flags: [one-packet]
    real_servers:
      - {address: 10.2.0.1}
Y
"$IPVSD" -c "$cfg" --state-dir "$TEST_TMP/state" --log-target=console > "$TEST_TMP/bad.log" 2>&1 && fail "ipvsd started with one-packet on TCP"
assert_contains "$(cat "$TEST_TMP/bad.log")" "$cfg:2:5: error: tcp:10.1.0.100:80: one-packet scheduling is for UDP services" "config error location"
ipvsadm -Sn | grep -q -- '-A -t 10.1.0.100:80 -s wrr' || fail "a refused start changed the table"
log "IPVS-specific config error refused with its location; table untouched"
echo "PASS: $TEST_NAME"
