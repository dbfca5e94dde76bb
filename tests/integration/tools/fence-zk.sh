#!/bin/bash
# vigil-fence-zk against a real ZooKeeper (Debian's zookeeper jar, standalone,
# 127.0.0.1 on a random port, data in $TEST_TMP): two agents on one private
# bus (bus names org.vigil.FenceZkA/B) compete for the same locks.
#   1. exactly one Fence ok; the other is refused naming the holder
#   2. the holder's Release lets the other get it
#   3. kill -9 of the holder: the other gets the lock after the session
#      timeout, not before
#   4. ZooKeeper stops answering (SIGSTOP): the holder emits Revoked within
#      revoke_after + heartbeat, before the session timeout
#   5. ZooKeeper restarts: the agent reconnects and Fence works again
TEST_NAME=fence-zk
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"

FENCE=$VIGIL_BUILD_ROOT/tools/fence-zk/vigil-fence-zk
CALLER=$VIGIL_BUILD_ROOT/tests/integration/tools/fence-caller
[ -x "$CALLER" ] || fail "$CALLER not built"
[ -x "$FENCE" ] || fail "$FENCE not built"
require_cmd busctl

T_MS=3000              # session_timeout
REVOKE_MS=$((T_MS / 2)) # fence_lease_revoke_after()
HB_MS=$((T_MS / 6))     # fence_lease_heartbeat_interval()

# ---- ZooKeeper ----------------------------------------------------------
. "$VIGIL_SOURCE_ROOT/tests/integration/tools/fence-zk-lib.sh"
zk_start

# ---- agents ---------------------------------------------------------------
bus_start
for n in A B; do
cat > "$TEST_TMP/$n.yaml" <<EOF
global: {router_id: NODE_$n}
zookeeper: {hosts: "127.0.0.1:$ZK_PORT", root: /vigil-test/$TEST_TAG, session_timeout: ${T_MS}ms}
vrrp:
  instances:
    VI_1:
      interface: lo
      virtual_router_id: 51
      virtual_addresses: [192.0.2.1/32]
      fencing: {policy: required, timeout: 3s, agents: [org.vigil.FenceZk1]}
    VI_2:
      interface: lo
      virtual_router_id: 52
      virtual_addresses: [192.0.2.2/32]
      vip_lease: 5s
      fencing: {policy: required, timeout: 10s, agents: [org.vigil.FenceZk1]}
EOF
done
"$FENCE" -c "$TEST_TMP/A.yaml" --check-config >/dev/null || fail "test config rejected"

agent_start() { # A|B
    VIGIL_BUS_NAME=org.vigil.FenceZk$1 daemon_start "fence$1" "$FENCE" -c "$TEST_TMP/$1.yaml"
    wait_for 10 session_is "$1" connected || fail "agent $1 did not connect: $(tail -5 "$TEST_TMP/fence$1.log")"
}
session_is() { # A|B STATE
    $BUSCTL get-property "org.vigil.FenceZk$1" /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager SessionState 2>/dev/null \
        | grep -qx "s \"$2\""
}
# The calls come from long-lived callers (tests/integration/tools/fence-caller.c),
# one per agent, as vrrpd's would: the agent gives a lock back when the
# caller it granted it to leaves the bus.
caller_start() { # A|B
    local fd
    [ "$1" = A ] && fd=6 || fd=7
    rm -f "$TEST_TMP/caller$1.in"; mkfifo "$TEST_TMP/caller$1.in"
    "$CALLER" < "$TEST_TMP/caller$1.in" > "$TEST_TMP/caller$1.out" 2>&1 6>&- 7>&- &
    eval "caller${1}_PID=$!"
    cleanup_add "kill -9 $!"
    eval "exec $fd> \"$TEST_TMP/caller$1.in\""
    wait_for 5 grep -q ready "$TEST_TMP/caller$1.out" || fail "fence-caller $1 did not start"
}
caller_cmd() { # A|B VERB INSTANCE → prints the answer line without its tag
    local tag=t$RANDOM$RANDOM fd
    [ "$1" = A ] && fd=6 || fd=7
    echo "$2 org.vigil.FenceZk$1 $3 $tag" >&$fd
    wait_for 30 grep -q "^$tag " "$TEST_TMP/caller$1.out" || { echo "no answer"; return 1; }
    grep "^$tag " "$TEST_TMP/caller$1.out" | cut -d' ' -f2-
}
fence() { # A|B INSTANCE → prints 'bs true "..."' / 'bs false "..."' like busctl
    local out
    out=$(caller_cmd "$1" fence "$2")
    case "$out" in
        "ok "*) echo "bs true \"${out#ok }\"" ;;
        "refused "*) echo "bs false \"${out#refused }\"" ;;
        *) echo "$out"; return 1 ;;
    esac
}
release() { [ "$(caller_cmd "$1" release "$2")" = released ]; }
held() { # A|B INSTANCE → "b true"/"b false"
    local p
    p=$($BUSCTL call "org.vigil.FenceZk$1" /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager ListInstances \
        | grep -o "\"$2\" \"[^\"]*\"" | awk '{print $2}' | tr -d '"')
    [ -n "$p" ] || { echo "no-object"; return; }
    $BUSCTL get-property "org.vigil.FenceZk$1" "$p" org.vigil.FenceZk1.Instance Held
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

agent_start A
agent_start B
caller_start A
caller_start B

# the lease inequality is checked against each instance: VI_2's 5 s vip_lease
# cannot end within t - t/2 = 1.5 s (warned, with its location); VI_1's
# automatic lease (~ one 1 s advert) can
grep -q "A.yaml:[0-9]*:[0-9]*: instance VI_2: a VIP may outlive a revoke by 5s" "$TEST_TMP/fenceA.log" \
    || fail "no lease-bound warning for VI_2: $(grep -i 'outlive' "$TEST_TMP/fenceA.log")"
grep -q "instance VI_1: a VIP may outlive" "$TEST_TMP/fenceA.log" && fail "lease-bound warning for VI_1 (auto lease is within the bound)"

# the agent serves what dbus/org.vigil.FenceAgent1.xml says
intro=$($BUSCTL introspect org.vigil.FenceZkA /org/vigil/FenceAgent1 org.vigil.FenceAgent1)
for m in "\.Fence +method +ss +bs" "\.Release +method +s +-" "\.Revoked +signal +ss +-"; do
    grep -Eq "$m" <<<"$intro" || fail "introspection lacks /$m/: $intro"
done
for m in Fence Release Revoked; do
    grep -q "name=\"$m\"" "$VIGIL_SOURCE_ROOT/dbus/org.vigil.FenceAgent1.xml" || fail "dbus/org.vigil.FenceAgent1.xml lacks $m"
done

# bad input: a clear error naming the argument
out=$($BUSCTL call org.vigil.FenceZkA /org/vigil/FenceAgent1 org.vigil.FenceAgent1 Fence ss "../x" p 2>&1) \
    && fail "Fence accepted instance '../x'"
assert_contains "$out" "argument instance" "bad instance name error"

# ---- 1. exactly one gets the lock ------------------------------------------
fence A VI_1 > "$TEST_TMP/f1A" 2>&1 &
pa=$!
fence B VI_1 > "$TEST_TMP/f1B" 2>&1 &
pb=$!
wait $pa; wait $pb
nok=$(cat "$TEST_TMP/f1A" "$TEST_TMP/f1B" | grep -c '^bs true')
assert_eq "$nok" 1 "number of agents whose Fence(VI_1) was ok: $(cat "$TEST_TMP/f1A" "$TEST_TMP/f1B")"
if grep -q '^bs true' "$TEST_TMP/f1A"; then W=A; L=B; else W=B; L=A; fi
assert_contains "$(cat "$TEST_TMP/f1$L")" "router_id=NODE_$W" "the refusal names the holder"
assert_eq "$(held $W VI_1)" "b true" "Held of the winner"
assert_eq "$(held $L VI_1)" "b false" "Held of the loser"
# the refused agent gave its place back: a node that is not MASTER never blocks its peer
wait_for 3 bash -c "$BUSCTL get-property org.vigil.FenceZk$L /org/vigil/FenceZk1/instance/VI_5f1 org.vigil.FenceZk1.Instance Node | grep -qx 's \"\"'" \
    || fail "$L kept its lock node after being refused: $($BUSCTL get-property org.vigil.FenceZk$L /org/vigil/FenceZk1/instance/VI_5f1 org.vigil.FenceZk1.Instance Node)"
log "1. one winner ($W); $L refused: $(cat "$TEST_TMP/f1$L")"

# reload: a changed zookeeper: section is refused while holding a lock; new
# instances using the agent get their objects
cp "$TEST_TMP/$W.yaml" "$TEST_TMP/$W.yaml.orig"
sed -i "s#root: /vigil-test/$TEST_TAG#root: /elsewhere#" "$TEST_TMP/$W.yaml"
cat >> "$TEST_TMP/$W.yaml" <<EOF
    VI_3:
      interface: lo
      virtual_router_id: 53
      virtual_addresses: [192.0.2.3/32]
      fencing: {policy: required, agents: [org.vigil.FenceZk1]}
EOF
out=$($BUSCTL call org.vigil.FenceZk$W /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager Reload 2>&1) \
    && fail "Reload accepted a new zookeeper root while holding VI_1"
assert_contains "$out" "holding locks" "refused reload"
assert_eq "$(held $W VI_1)" "b true" "Held after a refused reload"
sed -i "s#root: /elsewhere#root: /vigil-test/$TEST_TAG#" "$TEST_TMP/$W.yaml"
$BUSCTL call org.vigil.FenceZk$W /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager Reload || fail "Reload failed"
$BUSCTL call org.vigil.FenceZk$W /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager ListInstances | grep -q '"VI_3"' \
    || fail "VI_3 has no object after the reload"
assert_eq "$(held $W VI_1)" "b true" "Held after a reload"
log "   reload: zookeeper change refused while holding; VI_3 added"

# ---- 2. Release hands it over ---------------------------------------------
fence $L VI_1 > "$TEST_TMP/f2" 2>&1 &
pl=$!
sleep 0.5
t0=$(date +%s%N)
release $W VI_1 || fail "Release failed"
wait $pl
ms=$(ms_since "$t0")
grep -q '^bs true' "$TEST_TMP/f2" || fail "after Release by $W, $L did not get the lock: $(cat "$TEST_TMP/f2")"
assert_eq "$(held $W VI_1)" "b false" "Held after Release"
log "2. $W released, $L got VI_1 ${ms}ms later"

# ---- 2b. the caller holding the lock (vrrpd) dies: the lock is given back ----
# (its VIPs go with vrrpd's own lease; keeping the lock would only keep the
# peer out of MASTER)
fence $W VI_1 > "$TEST_TMP/f2b" 2>&1 &
pw=$!
sleep 0.5
eval "cpid=\$caller${L}_PID"
t0=$(date +%s%N)
kill -9 "$cpid"
wait $pw
ms=$(ms_since "$t0")
grep -q '^bs true' "$TEST_TMP/f2b" || fail "after the holder's caller died, $W did not get VI_1: $(cat "$TEST_TMP/f2b")"
grep -q "left the bus" "$TEST_TMP/fence$L.log" || fail "$L did not log the caller leaving"
log "2b. $L's caller killed: $W got VI_1 ${ms}ms later"
caller_start $L
# hand VI_1 back to $L for what follows
release $W VI_1 || fail "Release by $W"
fence $L VI_1 | grep -q '^bs true' || fail "$L could not take VI_1 back"

# ---- 3. kill -9 of the holder: the other gets it after the session timeout ----
# $L holds VI_1; let it hold VI_2 too, then kill it.
fence $L VI_2 | grep -q '^bs true' || fail "$L could not take VI_2"
eval "lpid=\$fence${L}_PID"
kill -9 "$lpid"
t0=$(date +%s%N)
out=$(fence $W VI_2)
ms=$(ms_since "$t0")
echo "$out" | grep -q '^bs true' || fail "after kill -9 of $L, $W never got VI_2: $out"
# The server expires the session no earlier than t after its last contact,
# which was at most one heartbeat (t/6) before the kill.
min=$((T_MS - HB_MS - 100)); max=$((T_MS + 3000))
log "3. kill -9 $L → $W got VI_2 after ${ms}ms (session timeout ${T_MS}ms; allowed ${min}..${max}ms)"
[ "$ms" -ge "$min" ] || fail "lock taken ${ms}ms after the kill: before the session could have expired"
[ "$ms" -le "$max" ] || fail "lock taken only ${ms}ms after the kill"
fence $W VI_1 | grep -q '^bs true' || fail "$W could not take VI_1 after $L died"

# ---- 4. ZooKeeper stops answering: Revoked before the session timeout --------
$BUSCTL monitor --match "type='signal',interface='org.vigil.FenceAgent1',member='Revoked'" \
    > "$TEST_TMP/revoked.mon" 2>&1 &
mon=$!
cleanup_add "kill $mon"
sleep 1
t0=$(date +%s%N)
kill -STOP "$ZK_PID"
wait_for 10 bash -c "[ \$(grep -c 'VI_[12]' '$TEST_TMP/revoked.mon') -ge 2 ]" \
    || fail "no Revoked for VI_1 and VI_2 within 10s of stopping ZooKeeper: $(cat "$TEST_TMP/revoked.mon")"
ms=$(ms_since "$t0")
# revoke at L + t/2 with L within one heartbeat before the stop (a heartbeat
# delayed by load makes L older and the revoke earlier, which is safe: the
# lower bound only catches a lease that ends at once)
lo=$((REVOKE_MS / 5)); hi=$((REVOKE_MS + HB_MS + 300))
log "4. ZooKeeper stopped → Revoked after ${ms}ms (revoke_after ${REVOKE_MS}ms, heartbeat ${HB_MS}ms, session timeout ${T_MS}ms)"
[ "$ms" -lt "$T_MS" ] || fail "Revoked after ${ms}ms: not before the session timeout ${T_MS}ms"
[ "$ms" -le "$hi" ] || fail "Revoked after ${ms}ms, later than the documented bound ${hi}ms"
[ "$ms" -ge "$lo" ] || fail "Revoked after ${ms}ms: earlier than the lease allows (${lo}ms), the lease logic is off"
grep -q "zookeeper-lease-expired" "$TEST_TMP/revoked.mon" || fail "Revoked reason: $(cat "$TEST_TMP/revoked.mon")"
assert_eq "$(held $W VI_1)" "b false" "Held after Revoked"
# while ZooKeeper is silent no lock can be claimed
out=$(fence $W VI_1)
echo "$out" | grep -q '^bs false' || fail "Fence ok while ZooKeeper is stopped: $out"
log "   while stopped: $out"

# ---- 5. ZooKeeper restarts: reconnect, Fence again ---------------------------
kill -9 "$ZK_PID"
wait "$ZK_PID" 2>/dev/null
zk_start
wait_for 20 session_is $W connected || fail "$W did not reconnect: $(tail -5 "$TEST_TMP/fence$W.log")"
out=$(fence $W VI_1)
echo "$out" | grep -q '^bs true' || fail "Fence after the ZooKeeper restart: $out"
assert_eq "$(held $W VI_1)" "b true" "Held after re-Fence"
log "5. ZooKeeper restarted: $W reconnected, Fence ok again"

# ---- 6. ZooKeeper restarted without its data: the session is gone ------------
# The server refuses the old session (the client has seen a newer zxid) and
# the client library retries forever: the agent must give the session up
# after max(3t, 5s) without a connection, start a new one, and hold the
# lock again only after a new Fence (never carry the old claim over).
node_before=$($BUSCTL get-property org.vigil.FenceZk$W /org/vigil/FenceZk1/instance/VI_5f1 org.vigil.FenceZk1.Instance Node)
: > "$TEST_TMP/revoked.mon"
kill -9 "$ZK_PID"
wait "$ZK_PID" 2>/dev/null
rm -rf "$TEST_TMP/zk/data"/*
zk_start
wait_for 20 grep -Eq "session 0x[0-9a-f]* expired|abandoning session" "$TEST_TMP/fence$W.log" \
    || fail "$W kept waiting for its old session"
wait_for 20 session_is $W connected || fail "$W did not start a new session: $(tail -5 "$TEST_TMP/fence$W.log")"
assert_eq "$(held $W VI_1)" "b false" "Held after the session expired"
out=$(fence $W VI_1)
echo "$out" | grep -q '^bs true' || fail "Fence with the new session: $out"
node_after=$($BUSCTL get-property org.vigil.FenceZk$W /org/vigil/FenceZk1/instance/VI_5f1 org.vigil.FenceZk1.Instance Node)
[ "$node_before" != "$node_after" ] || fail "the lock node did not change with the new session: $node_after"
log "6. ZooKeeper lost its data: $(grep -Eo "session 0x[0-9a-f]* expired|abandoning session" "$TEST_TMP/fence$W.log" | head -1), new session, Fence ok with a new node ($node_after)"

# ---- 7. the agent itself stalls past the session timeout: expiry -------------
# (A hung agent cannot signal: vrrpd must also treat the agent's bus name
# vanishing as Revoked, and systemd's watchdog kills a hung agent; see README.)
: > "$TEST_TMP/revoked.mon"
eval "wpid=\$fence${W}_PID"
kill -STOP "$wpid"
sleep $(( T_MS / 1000 + 2 ))
kill -CONT "$wpid"
wait_for 10 grep -q "session 0x[0-9a-f]* expired" "$TEST_TMP/fence$W.log" || fail "$W did not see its session expire"
wait_for 5 grep -q "VI_1" "$TEST_TMP/revoked.mon" || fail "no Revoked after the stall"
wait_for 10 session_is $W connected || fail "$W did not start a new session after expiry"
assert_eq "$(held $W VI_1)" "b false" "Held after expiry"
out=$(fence $W VI_1)
echo "$out" | grep -q '^bs true' || fail "Fence after expiry: $out"
log "7. agent stalled $(( T_MS / 1000 + 2 ))s: session expired, revoked, new session, Fence ok"

# graceful stop: Revoked first (vrrpd must leave MASTER before the nodes go)
: > "$TEST_TMP/revoked.mon"
kill -TERM "$wpid"
wait_for 5 grep -q "fence-agent-stopping" "$TEST_TMP/revoked.mon" || fail "no Revoked on graceful stop"
log "PASS"
