#!/bin/bash
# vigil-notify end to end with the real vigil-vrrpd (in a network namespace,
# on a private bus): the scripts of a real election run in order
# (backup, then master with keepalived's generic arguments), a graceful stop
# runs notify_stop, and a vrrpd restart is followed (new bus owner, new
# sequence numbers) up to master again.
TEST_NAME=notify-vrrpd
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_root

NOTIFY=$VIGIL_BUILD_ROOT/tools/notify/vigil-notify
[ -x "$NOTIFY" ] || fail "$NOTIFY not built"
[ -x "$VRRPD" ] || fail "$VRRPD not built"

bus_start
ns=$(netns_add n1)
peer=$(netns_add n2)
veth_add "$ns" eth0 "$peer" eth0
ip -n "$ns" addr add 10.78.0.1/24 dev eth0
ip -n "$peer" addr add 10.78.0.2/24 dev eth0

RUNS=$TEST_TMP/runs.log
cat > "$TEST_TMP/rec.sh" <<EOF
#!/bin/sh
echo "\$VIGIL_NOTIFY_SEQ \$*" >> "$RUNS"
EOF
chmod +x "$TEST_TMP/rec.sh"
cat > "$TEST_TMP/vigil.yaml" <<EOF
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 61
      priority: 150
      advert_interval: 200ms
      virtual_addresses: [10.78.0.50/24]
notify:
  - instance: VI_1
    notify_master: [$TEST_TMP/rec.sh, notify_master]
    notify_backup: [$TEST_TMP/rec.sh, notify_backup]
    notify_stop: [$TEST_TMP/rec.sh, notify_stop]
    notify: [$TEST_TMP/rec.sh, generic]
    timeout: 5s
EOF

daemon_start notify "$NOTIFY" -c "$TEST_TMP/vigil.yaml"
wait_for 5 grep -q started "$TEST_TMP/notify.log" || fail "vigil-notify did not start"

daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$TEST_TMP/vigil.yaml"
wait_for 10 grep -q "generic INSTANCE VI_1 MASTER 150" "$RUNS" || fail "no notify for MASTER: $(cat "$RUNS")"
sleep 0.3
# backup (specific, generic), then master (specific, generic), in that order, by sequence number
got=$(cut -d' ' -f2- "$RUNS")
want="notify_backup
generic INSTANCE VI_1 BACKUP 150
notify_master
generic INSTANCE VI_1 MASTER 150"
assert_eq "$got" "$want" "scripts of the election"
awk '{ if ($1 + 0 < prev) { print "seq " $1 " after " prev; exit 1 } prev = $1 + 0 }' "$RUNS" || fail "out of sequence order: $(cat "$RUNS")"
log "election: $(tr '\n' ';' < "$RUNS")"

# graceful stop: notify_stop
: > "$RUNS"
kill -TERM "$vrrpd_PID"
wait "$vrrpd_PID" 2>/dev/null
wait_for 5 grep -q "generic INSTANCE VI_1 STOP 150" "$RUNS" || fail "no notify for STOP: $(cat "$RUNS")"
grep -q "notify_stop" "$RUNS" || fail "notify_stop not run: $(cat "$RUNS")"
log "stop: $(tr '\n' ';' < "$RUNS")"

# a new vrrpd: followed through NameOwnerChanged, its numbering starts again
: > "$RUNS"
daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$TEST_TMP/vigil.yaml"
wait_for 10 grep -q "generic INSTANCE VI_1 MASTER 150" "$RUNS" || fail "restarted vrrpd's MASTER not notified: $(cat "$RUNS"); $(tail -5 "$TEST_TMP/notify.log")"
grep -q "org.vigil.Vrrp1 is owned by" "$TEST_TMP/notify.log" || fail "new owner not noticed"
log "restart: $(tr '\n' ';' < "$RUNS")"
log "PASS"
