#!/bin/bash
# Reload adds/removes/changes instances without disturbing unchanged ones
# (an unchanged master stays master, sends no extra GARP, keeps its VIP);
# an invalid file is refused with file:line:col and the running config kept;
# mutating methods refuse unprivileged callers; vigilctl instances (table,
# --json) and vigilctl monitor (lines, --json) show it all.
. "$(dirname "$0")/vrrp-lib.sh"
require_cmd setpriv

bus_start
vrrp_lan n1
export VIGIL_VRRP_BUS_NAME=org.vigil.Vrrp1.n1

inst() { # NAME VRID PRIO VIP
    printf '    %s:\n      interface: eth0\n      virtual_router_id: %s\n      priority: %s\n      advert_interval: 1s\n      garp: {master_delay: 0s}\n      virtual_addresses: [{address: %s}]\n' "$@"
}
{ echo "vrrp:"; echo "  instances:"; inst VI_1 51 150 "$NET.50/24"; inst VI_2 52 150 "$NET.60/24"; } > "$TEST_TMP/n1.yaml"

"$VIGILCTL" --json monitor > "$TEST_TMP/monitor.json" 2>"$TEST_TMP/monitor.err" &
cleanup_add "kill $!"
"$VIGILCTL" monitor > "$TEST_TMP/monitor.txt" 2>&1 &
cleanup_add "kill $!"
# both subscribed before vrrpd starts (they say so once the match is in place)
wait_for 20 grep -q "^Monitoring" "$TEST_TMP/monitor.err" || fail "monitor --json did not subscribe"
wait_for 20 grep -q "^Monitoring" "$TEST_TMP/monitor.txt" || fail "monitor did not subscribe"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 8
wait_state n1 VI_2 master 3

# -- vigilctl instances
table=$("$VIGILCTL" instances) || fail "vigilctl instances failed"
log "vigilctl instances:"; echo "$table" | sed 's/^/#   /' >&2
grep -Eq "^VI_1 +master +150 +150 +51 +3 eth0 +$NET.1 +$NET.50/24 " <<<"$table" || fail "instances table row for VI_1"
assert_contains "$table" "2 instances." "legend"
json=$("$VIGILCTL" --json instances) || fail "vigilctl --json instances failed"
assert_eq "$(json_get "$json" "[(i['name'], i['state'], i['priority'], i['virtual_addresses']) for i in d]")" \
    "[('VI_1', 'master', 150, ['$NET.50/24']), ('VI_2', 'master', 150, ['$NET.60/24'])]" "instances --json"

# -- reload: VI_1 unchanged, VI_2 changed (priority), VI_3 added
garp1=$(counter n1 VI_1 garp_sent)
ev1=$(grep -c '"instance":"VI_1"' "$TEST_TMP/monitor.json")
{ echo "vrrp:"; echo "  instances:"; inst VI_1 51 150 "$NET.50/24"; inst VI_2 52 140 "$NET.60/24"; inst VI_3 53 150 "$NET.70/24"; } > "$TEST_TMP/n1.yaml"
( for i in $(seq 300); do has_vip n1 "$NET.50/24" || echo "gone at $i"; sleep 0.01; done ) > "$TEST_TMP/vip1.txt" &
watcher=$!
sleep 0.5
$BUSCTL call org.vigil.Vrrp1.n1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager Reload || fail "Reload failed"
wait_state n1 VI_3 master 8
wait_state n1 VI_2 master 8
assert_eq "$(prop n1 VI_2 Priority)" "140" "VI_2 priority after reload"
wait $watcher
[ -s "$TEST_TMP/vip1.txt" ] && fail "VI_1's VIP disappeared during reload: $(head -3 "$TEST_TMP/vip1.txt")"
state_is n1 VI_1 master || fail "VI_1 not master after reload"
sleep 1.5
assert_eq "$(counter n1 VI_1 garp_sent)" "$garp1" "VI_1 sent GARPs during reload"
assert_eq "$(grep -c '"instance":"VI_1"' "$TEST_TMP/monitor.json")" "$ev1" "VI_1 StateChanged events across the reload"
grep -q '"instance":"VI_2","from":"master","to":"stopped","reason":"reload: configuration changed"' "$TEST_TMP/monitor.json" ||
    fail "no StateChanged for the changed VI_2: $(cat "$TEST_TMP/monitor.json")"
log "reload: VI_1 untouched (VIP kept, no GARP, no state change), VI_2 restarted, VI_3 added"

# -- reload removing VI_3: graceful stop, VIP removed
{ echo "vrrp:"; echo "  instances:"; inst VI_1 51 150 "$NET.50/24"; inst VI_2 52 140 "$NET.60/24"; } > "$TEST_TMP/n1.yaml"
$BUSCTL call org.vigil.Vrrp1.n1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager Reload || fail "Reload failed"
wait_for 3 eval '! has_vip n1 "$NET.70/24"' || fail "removed VI_3 left its VIP"
wait_for 10 grep -q '"instance":"VI_3","from":"master","to":"stopped","reason":"reload: removed"' "$TEST_TMP/monitor.json" ||
    fail "no StateChanged for removed VI_3"
[ -z "$(inst_path n1 VI_3)" ] || fail "VI_3 still listed"

# -- invalid config: refused with file:line:col, running config kept
printf 'vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 51\n      priorty: 150\n' > "$TEST_TMP/n1.yaml"
err=$($BUSCTL call org.vigil.Vrrp1.n1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager Reload 2>&1) && fail "invalid config accepted"
assert_contains "$err" "n1.yaml:6:" "reload error location"
state_is n1 VI_1 master || fail "VI_1 disturbed by a refused reload"
state_is n1 VI_2 master || fail "VI_2 disturbed by a refused reload"

# -- unprivileged callers cannot mutate
p1=$(inst_path n1 VI_1)
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vigil.Vrrp1.n1 "$p1" org.vigil.Vrrp1.Instance Demote 2>&1) &&
    fail "Demote allowed for nobody"
assert_contains "$err" "ccess denied" "Demote as nobody"
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vigil.Vrrp1.n1 "$p1" org.vigil.Vrrp1.Instance SetPriority u 10 2>&1) &&
    fail "SetPriority allowed for nobody"
state_is n1 VI_1 master || fail "unprivileged call changed VI_1"
# reading is open to everyone
setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" get-property org.vigil.Vrrp1.n1 "$p1" org.vigil.Vrrp1.Instance State >/dev/null ||
    fail "nobody cannot read State"

# -- vigilctl monitor: in-order lines with increasing seq
kill -TERM "$(node_pid n1)"
wait_for 5 grep -q '"to":"stopped","reason":"shutdown"' "$TEST_TMP/monitor.json" || fail "no shutdown in monitor --json"
"$PYTHON" - "$TEST_TMP/monitor.json" <<'PY' || fail "monitor --json"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
seqs = [e['seq'] for e in ev]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"seq not increasing: {seqs}"
assert seqs[0] == 1, f"first seq {seqs[0]}"
print(f"# monitor --json: {len(ev)} events, seq {seqs[0]}..{seqs[-1]} in order", file=sys.stderr)
PY
grep -Eq "seq=1 VI_[12] init -> backup \(startup\)" "$TEST_TMP/monitor.txt" || fail "monitor text: $(head -3 "$TEST_TMP/monitor.txt")"
wait_for 10 grep -q "VI_1 master -> stopped (shutdown)" "$TEST_TMP/monitor.txt" || fail "monitor text lacks shutdown"
log "PASS"
