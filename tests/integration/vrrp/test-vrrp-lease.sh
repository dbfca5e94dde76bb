#!/bin/bash
# VIP leases: a master whose vrrpd is killed (SIGKILL) or frozen (SIGSTOP)
# stops answering for the VIP by its leases (nftables "alive" in ms, the
# kernel address lifetime in s) before the backup takes over. Judged by
# behaviour: a client ARPs for the VIP every 10 ms and no request may be
# answered by both nodes. 100 ms adverts: master_down_interval ~361 ms.
. "$(dirname "$0")/vrrp-lib.sh"
require_cmd python3

bus_start
vrrp_lan n1 n2
ADVERT=100ms write_conf "$TEST_TMP/n1.yaml" 150
ADVERT=100ms write_conf "$TEST_TMP/n2.yaml" 100
mac1=$(node_mac n1); mac2=$(node_mac n2)

node_start n2 "$TEST_TMP/n2.yaml"
node_start n1 "$TEST_TMP/n1.yaml"
wait_state n1 VI_1 master 5
wait_state n2 VI_1 backup 2
sleep 0.5

# the lease table is there, with the VIP managed and alive on the master only
rules=$(ip netns exec "${NS[n1]}" nft list table inet vigil_vrrp) || fail "no nftables table inet vigil_vrrp on n1"
assert_contains "$rules" "ip daddr @vips4 ip daddr != @alive4" "prerouting rule"
alive1=$(ip netns exec "${NS[n1]}" nft list set inet vigil_vrrp alive4)
# 250 ms = 2.5 adverts (the kernel stores it in jiffies: 248 ms with HZ=250)
grep -Eq "$NET.50 timeout 2[45][0-9]ms" <<<"$alive1" || fail "n1 alive set: $alive1"
alive2=$(ip netns exec "${NS[n2]}" nft list set inet vigil_vrrp alive4)
grep -q "$NET.50" <<<"$alive2" && fail "backup n2 has the VIP alive: $alive2"

# analyse RESULT-JSON LABEL: no request answered by both; who answered, and the gap
analyse() {
    "$PYTHON" - "$1" "$2" "$mac1" "$mac2" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); label = sys.argv[2]; m1, m2 = sys.argv[3], sys.argv[4]
print(f"# {label}: {d['requests']} ARP requests, {d['answered']} answered, by {d['macs']}, "
      f"longest unanswered run {d['longest_unanswered']} x {d['interval_ms']:.0f} ms", file=sys.stderr)
if d['both']:
    t = {k: (ms, macs) for k, ms, macs in d.get('timeline', [])}
    print(f"FAIL: {label}: requests answered by BOTH nodes (split brain): {[t.get(k) for k in d['both'][:10]]}", file=sys.stderr)
    sys.exit(1)
if m1 not in d['macs'] or m2 not in d['macs']:
    print(f"FAIL: {label}: expected answers from n1 then n2, got {d['macs']}", file=sys.stderr)
    sys.exit(1)
if d['macs'][m1]['last'] >= d['macs'][m2]['first']:
    print(f"FAIL: {label}: n1 still answered after n2 started", file=sys.stderr)
    sys.exit(1)
gap_ms = d['longest_unanswered'] * d['interval_ms']
if gap_ms > 1000:
    print(f"FAIL: {label}: VIP unanswered for {gap_ms} ms", file=sys.stderr)
    sys.exit(1)
print(int(gap_ms))
PY
}

# watch_addr NODE FILE: samples "is the VIP on NODE" every 10 ms into FILE (t_ms 0/1)
watch_addr() {
    ( t0=$(date +%s%N); while :; do
        out=$(ip -n "${NS[$1]}" -4 addr show dev eth0)
        if grep -q "$NET.50/" <<<"$out"; then v=1; else v=0; fi
        echo "$(( ($(date +%s%N) - t0) / 1000000 )) $v"; sleep 0.01; done ) > "$2" &
    WATCH_PID=$!
    cleanup_add "kill $WATCH_PID"
}

# ---- SIGKILL ------------------------------------------------------------
probe_start 3 "$TEST_TMP/kill.json"
probe=$PROBE_PID
watch_addr n1 "$TEST_TMP/kill-addr.txt"
sleep 1
kill -KILL "$(node_pid n1)"
log "n1 vrrpd killed"
wait $probe || fail "probe failed"
gap=$(analyse "$(cat "$TEST_TMP/kill.json")" "SIGKILL") || exit 1
log "SIGKILL: client saw no answer for ~${gap} ms (master_down_interval ~361 ms)"
state_is n2 VI_1 master || fail "n2 did not take over"
# the dead master's address goes by the kernel's own timer (1 s lifetime + up to 1 s slack)
wait_for 3 eval '! has_vip n1 "$NET.50/24"' || fail "killed master's VIP still there 3 s later"
kill "$WATCH_PID"
gone=$(awk '$2 == 0 {print $1; exit}' "$TEST_TMP/kill-addr.txt")
log "SIGKILL: n1's VIP address removed by the kernel lease ${gone} ms after sampling began (kill at ~1000 ms)"
[ -n "$gone" ] && [ "$gone" -lt 3500 ] || fail "kernel lease did not remove the VIP in time ($gone)"

# ---- SIGSTOP / SIGCONT ---------------------------------------------------
node_start n1 "$TEST_TMP/n1.yaml"     # startup removes nothing now; preempts n2
wait_state n1 VI_1 master 5
wait_state n2 VI_1 backup 2
sleep 1
probe_start 4 "$TEST_TMP/stop.json"
probe=$PROBE_PID
sleep 1
kill -STOP "$(node_pid n1)"
log "n1 vrrpd frozen"
sleep 2
kill -CONT "$(node_pid n1)"
log "n1 vrrpd resumed"
wait $probe || fail "probe failed"
"$PYTHON" - "$(cat "$TEST_TMP/stop.json")" "$mac1" "$mac2" <<'PY' || exit 1
import json, sys
d = json.loads(sys.argv[1]); m1, m2 = sys.argv[2], sys.argv[3]
print(f"# SIGSTOP/SIGCONT: {d['requests']} requests, {d['answered']} answered, by {d['macs']}, both={d['both'][:5]}, "
      f"longest unanswered {d['longest_unanswered']} x 10 ms", file=sys.stderr)
assert not d['both'], f"split brain: {d['both']}"
assert m2 in d['macs'], "n2 never answered while n1 was frozen"
# n1 answers before the freeze, n2 during, n1 again after resuming (higher priority)
tl = d['timeline']
owners = []
for k, ms, macs in tl:
    if macs and (not owners or owners[-1] != macs[0]):
        owners.append(macs[0])
assert owners == [m1, m2, m1], f"unexpected owner sequence {owners}"
PY
wait_state n1 VI_1 master 2
wait_state n2 VI_1 backup 2
grep -q "re-announcing before answering again" "$TEST_TMP/vrrpd_n1.log" || fail "n1 did not notice it had been silent"
log "PASS"
