#!/bin/bash
# Tracked checks from checkerd (org.vigil.Checker1, here a stand-in that
# implements the contract): without a weight a down check faults the
# instance, with a weight it lowers the priority; on_missing decides what an
# absent checkerd means (fault by default, ignore on request).
. "$(dirname "$0")/vrrp-lib.sh"

bus_start
vrrp_lan n1
cat > "$TEST_TMP/n1.yaml" <<Y
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: 150
      advert_interval: 1s
      track: {checks: [{name: chk_web}]}
      virtual_addresses: [{address: $NET.50/24}]
    VI_2:
      interface: eth0
      virtual_router_id: 52
      priority: 150
      advert_interval: 1s
      track: {checks: [{name: chk_db, weight: -30}], on_missing: ignore}
      virtual_addresses: [{address: $NET.60/24}]
checks:
  chk_web: {type: exec, command: [/bin/true]}
  chk_db: {type: exec, command: [/bin/true]}
Y
# checkerd absent: VI_1 (on_missing: fault) is FAULT, VI_2 (ignore) runs
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 fault 3
assert_eq "$(prop n1 VI_1 LastReason)" "check chk_web missing (checkerd not running)" "on_missing fault"
wait_state n1 VI_2 master 8

fake_start() {
    : > "$TEST_TMP/checks.ctl"
    "$PYTHON" "$VIGIL_SOURCE_ROOT/tests/integration/vrrp/fake-checker.py" org.vigil.Checker1 "$TEST_TMP/checks.ctl" "$@" \
        > "$TEST_TMP/fake.log" 2>&1 &
    FAKE=$!
    cleanup_add "kill $FAKE"
    wait_for 5 bus_has_name org.vigil.Checker1 || fail "fake checker did not start: $(cat "$TEST_TMP/fake.log")"
}
# checkerd appears with both checks up: VI_1 recovers
fake_start chk_web=up chk_db=up
wait_state n1 VI_1 backup 3
assert_contains "$(prop n1 VI_1 LastReason)" "recovered from: check chk_web missing" "recovery"
wait_state n1 VI_1 master 8
# chk_web down: VI_1 FAULT with the check's name
echo "chk_web down" >> "$TEST_TMP/checks.ctl"
wait_state n1 VI_1 fault 3
assert_eq "$(prop n1 VI_1 LastReason)" "check chk_web down" "check fault reason"
has_vip n1 "$NET.50/24" && fail "faulted VI_1 kept its VIP"
echo "chk_web up" >> "$TEST_TMP/checks.ctl"
wait_state n1 VI_1 backup 3
# chk_db down: VI_2's priority drops by 30, it stays master (no peer)
echo "chk_db down" >> "$TEST_TMP/checks.ctl"
wait_for 3 eval '[ "$(prop n1 VI_2 EffectivePriority)" = 120 ]' || fail "VI_2 EffectivePriority $(prop n1 VI_2 EffectivePriority), expected 120"
state_is n1 VI_2 master || fail "weighted check faulted VI_2"
echo "chk_db up" >> "$TEST_TMP/checks.ctl"
wait_for 3 eval '[ "$(prop n1 VI_2 EffectivePriority)" = 150 ]' || fail "VI_2 priority not restored"
# checkerd goes away: VI_1 faults (missing), VI_2 ignores
wait_state n1 VI_1 master 8
kill "$FAKE"
wait_state n1 VI_1 fault 3
assert_eq "$(prop n1 VI_1 LastReason)" "check chk_web missing (checkerd not running)" "checkerd vanished"
sleep 1
state_is n1 VI_2 master || fail "VI_2 (on_missing: ignore) moved when checkerd vanished"

# a hung checkerd (owns its name, never answers) must not stall vrrpd
kill -TERM "$(node_pid n1)"
wait_for 5 eval '! kill -0 $(node_pid n1) 2>/dev/null'
fake_start chk_web=up chk_db=up
kill -STOP "$FAKE"
cleanup_add "kill -CONT $FAKE"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_2 master 8
# its calls time out (5 s): the check is then missing, VI_1 faults
wait_state n1 VI_1 fault 12
assert_contains "$(prop n1 VI_1 LastReason)" "check chk_web missing" "hung checkerd"
log "hung checkerd: adverts and elections went on"
log "PASS"
