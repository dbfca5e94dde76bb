#!/bin/bash
# vigil-notify against a fake org.vigil.Vrrp1/org.vigil.Checker1 on a private
# bus (tests/integration/tools/notify-fake-source.c): ordered scripts, one at
# a time per instance, replay on start and on a source restart, bounded queue,
# superseding only when asked, malformed and spoofed signals ignored, a hung
# script killed at its timeout, check notify_up/notify_down.
TEST_NAME=notify
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"

NOTIFY=$VIGIL_BUILD_ROOT/tools/notify/vigil-notify
FAKE=$VIGIL_BUILD_ROOT/tests/integration/tools/notify-fake-source
[ -x "$NOTIFY" ] || fail "$NOTIFY not built"
[ -x "$FAKE" ] || fail "$FAKE not built"

bus_start
RUNS=$TEST_TMP/runs.log
GEN=$TEST_TMP/generic.log
: > "$RUNS"; : > "$GEN"
echo 0 > "$TEST_TMP/delay"

# One script for every state: records start/end, detects overlap per subject.
cat > "$TEST_TMP/rec.sh" <<EOF
#!/bin/sh
if ! mkdir "$TEST_TMP/lock.\$VIGIL_NOTIFY_NAME" 2>/dev/null; then echo "CONCURRENT \$VIGIL_NOTIFY_NAME \$VIGIL_NOTIFY_SEQ" >> "$RUNS"; fi
echo "start \$VIGIL_NOTIFY_NAME \$VIGIL_NOTIFY_SEQ \$VIGIL_NOTIFY_STATE \$VIGIL_NOTIFY_REPLAY \$1" >> "$RUNS"
sleep \$(cat "$TEST_TMP/delay")
rmdir "$TEST_TMP/lock.\$VIGIL_NOTIFY_NAME"
echo "end \$VIGIL_NOTIFY_NAME \$VIGIL_NOTIFY_SEQ" >> "$RUNS"
EOF
cat > "$TEST_TMP/gen.sh" <<EOF
#!/bin/sh
echo "\$*" >> "$GEN"
EOF
# A script that ignores SIGTERM: only SIGKILL (after the grace) stops it.
cat > "$TEST_TMP/hang.sh" <<EOF
#!/bin/sh
trap '' TERM
echo \$\$ > "$TEST_TMP/hang.pid"
sleep 1000 &
echo \$! > "$TEST_TMP/hang-child.pid"
wait
EOF
chmod +x "$TEST_TMP"/*.sh

cat > "$TEST_TMP/vigil.yaml" <<EOF
vrrp:
  instances:
    VI_1: {interface: lo, virtual_router_id: 51, priority: 150, virtual_addresses: [192.0.2.1/32]}
    VI_3: {interface: lo, virtual_router_id: 53, virtual_addresses: [192.0.2.3/32]}
    VI_2: {interface: lo, virtual_router_id: 52, virtual_addresses: [192.0.2.2/32]}
    VI_4: {interface: lo, virtual_router_id: 54, virtual_addresses: [192.0.2.4/32]}
  sync_groups:
    G1: [VI_2, VI_4]
checks:
  chk_web: {type: tcp, address: 127.0.0.1, port: 9}
notify:
  - instance: VI_1
    notify_master: [$TEST_TMP/rec.sh, master]
    notify_backup: [$TEST_TMP/rec.sh, backup]
    notify_fault: [$TEST_TMP/rec.sh, fault]
    notify: [$TEST_TMP/gen.sh]
    timeout: 10s
  - instance: VI_3
    notify_master: [$TEST_TMP/hang.sh]
    notify_backup: [$TEST_TMP/rec.sh, backup]
    timeout: 500ms
  - group: G1
    notify: [$TEST_TMP/gen.sh]
  - check: chk_web
    notify_up: [$TEST_TMP/rec.sh, up]
    notify_down: [$TEST_TMP/rec.sh, down]
EOF
"$NOTIFY" -c "$TEST_TMP/vigil.yaml" --check-config >/dev/null || fail "test config rejected"

# ---- the fake source, driven through a FIFO -----------------------------
fake_start() { # ARGS...
    rm -f "$TEST_TMP/fake.in"; mkfifo "$TEST_TMP/fake.in"
    "$FAKE" "$@" --instance VI_1 --initial backup --instance VI_3 --instance VI_2 --instance VI_4 --check chk_web < "$TEST_TMP/fake.in" > "$TEST_TMP/fake.out" 2>&1 &
    FAKE_PID=$!
    cleanup_add "kill -9 $FAKE_PID"
    exec 5> "$TEST_TMP/fake.in"
    wait_for 5 grep -q ready "$TEST_TMP/fake.out" || fail "fake source did not start"
}
fake() { echo "$*" >&5; }
fake_stop() { fake quit; exec 5>&-; wait "$FAKE_PID" 2>/dev/null; }
# fake_seq: the last sequence number the fake source gave an instance event
fake_seq() {
    local tag=seq$RANDOM
    fake echo $tag
    wait_for 5 grep -q "^$tag " "$TEST_TMP/fake.out" || fail "fake source stuck"
    grep "^$tag " "$TEST_TMP/fake.out" | awk '{print $2}'
}

notify_start() { # ARGS...
    daemon_start notify "$NOTIFY" -c "$TEST_TMP/vigil.yaml" "$@" 5>&-   # not the fake's FIFO
    wait_for 5 grep -q "started" "$TEST_TMP/notify.log" || fail "vigil-notify did not start"
}
notify_stop() { kill "$notify_PID"; wait "$notify_PID" 2>/dev/null; cat "$TEST_TMP/notify.log" >> "$TEST_TMP/notify-all.log"; }

runs_of() { grep "^start $1 " "$RUNS"; }
last_state() { runs_of "$1" | tail -n1 | awk '{print $4}'; }
idle() { ! ls -d "$TEST_TMP"/lock.* >/dev/null 2>&1; }

# ---- 1. replay at start ---------------------------------------------------
fake_start
notify_start --max-queue 1000
wait_for 5 grep -q "^start VI_1 0 backup 1 backup" "$RUNS" || fail "no replay of VI_1's current state (backup) at start"
wait_for 5 grep -q "^INSTANCE VI_1 BACKUP 100$" "$GEN" || fail "generic notify did not get 'INSTANCE VI_1 BACKUP 100': $(cat "$GEN")"
wait_for 5 grep -q "^GROUP G1 BACKUP 0$" "$GEN" || fail "sync group G1 (both members backup) not notified: $(cat "$GEN")"
log "replay at start: ok"

# ---- 2. 100 rapid flaps: in order, one at a time, final state right ----------
: > "$RUNS"
fake flap VI_1 100
wait_for 60 bash -c "[ \$(grep -c '^end VI_1 ' '$RUNS') -ge 100 ]" || fail "only $(grep -c '^end VI_1 ' "$RUNS") of 100 scripts ran"
sleep 0.3
n=$(grep -c '^start VI_1 ' "$RUNS")
[ "$n" = 100 ] || fail "expected 100 runs for 100 flaps, got $n"
grep -q CONCURRENT "$RUNS" && fail "scripts of one instance ran concurrently: $(grep CONCURRENT "$RUNS" | head -3)"
# sequence numbers strictly increasing 1..100, state alternating master/backup
runs_of VI_1 | awk '{ if ($3 != NR) { print "seq " $3 " at run " NR; exit 1 }
                      want = (NR % 2) ? "master" : "backup"; if ($4 != want) { print "state " $4 " at " NR; exit 1 } }' \
    || fail "scripts not run in sequence order"
# start/end strictly alternate: never two starts without an end
grep ' VI_1 ' "$RUNS" | awk '{ if ($1 == prev) { print "two " $1 " in a row at line " NR; exit 1 } prev = $1 }' \
    || fail "overlapping runs"
assert_eq "$(last_state VI_1)" backup "final state after 100 flaps"
log "100 flaps: 100 runs in order, none concurrent, final state backup"

# ---- 3. restart vigil-notify mid-stream: it replays the current state ------
echo 0.05 > "$TEST_TMP/delay"
: > "$RUNS"
fake flap VI_1 41
sleep 0.4
kill -9 "$notify_PID"; wait "$notify_PID" 2>/dev/null
cat "$TEST_TMP/notify.log" >> "$TEST_TMP/notify-all.log"
sleep 0.3                          # the orphaned script of the killed run finishes
rm -rf "$TEST_TMP"/lock.*          # the killed run's lock
done_before=$(grep -c '^start VI_1 ' "$RUNS")
[ "$done_before" -lt 41 ] || fail "flaps finished before the restart ($done_before runs): test is not mid-stream"
fake set VI_1 fault restart-test
fake echo mark1
wait_for 5 grep -q mark1 "$TEST_TMP/fake.out" || fail "fake source stuck"
notify_start --max-queue 1000
wait_for 10 bash -c "grep -q '^start VI_1 0 fault 1' '$RUNS'" || fail "after restart, no replay of the current state (fault): $(tail -3 "$RUNS")"
wait_for 5 idle
assert_eq "$(last_state VI_1)" fault "state after restart"
log "restart mid-stream after $done_before of 41 runs: replayed current state 'fault'"

# ---- 4. the source restarts (NameOwnerChanged): replay, numbering restarts ---
notify_stop
notify_start --max-queue 1000
wait_for 5 grep -q "Replaying the current state" "$TEST_TMP/notify.log" || fail "no replay at start"
sleep 0.3
: > "$RUNS"
fake_stop
fake_start --initial master
wait_for 10 grep -q '^start VI_1 0 master 1' "$RUNS" || fail "no replay after the source restarted (NameOwnerChanged)"
fake set VI_1 backup after-restart   # seq 1 again: a new generation, must run
wait_for 5 grep -q '^start VI_1 1 backup 0' "$RUNS" || fail "seq 1 of the restarted source was not run"
log "source restart: replayed master, then ran its seq 1"

# ---- 5. malformed and spoofed signals -----------------------------------
for i in $(seq 30); do fake bad VI_1; done
fake echo mark2
wait_for 5 grep -q mark2 "$TEST_TMP/fake.out" || fail "fake source stuck"
wait_for 5 grep -q "malformed StateChanged" "$TEST_TMP/notify.log" || fail "no warning for a malformed signal"
sleep 0.3
nwarn=$(grep -c "malformed StateChanged" "$TEST_TMP/notify.log")
[ "$nwarn" -le 10 ] || fail "malformed-signal warnings not rate limited: $nwarn for 30 signals"
kill -0 "$notify_PID" || fail "vigil-notify died on malformed signals"
# a StateChanged from someone who does not own org.vigil.Vrrp1
$BUSCTL emit /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance StateChanged tsss 999 backup master spoofed \
    || fail "busctl emit failed"
fake set VI_1 master after-bad
wait_for 5 grep -q '^start VI_1 2 master 0' "$RUNS" || fail "valid signal after malformed ones not run"
grep -q '^start VI_1 999 ' "$RUNS" && fail "a spoofed signal ran a script"
log "30 malformed signals: $nwarn warnings, ignored; spoofed signal ignored"

# ---- 6. a hung script is killed at its timeout ------------------------------
: > "$RUNS"
t0=$(date +%s%N)
fake set VI_3 master hang-test
wait_for 5 test -s "$TEST_TMP/hang-child.pid" || fail "hang.sh did not start"
fake set VI_3 backup after-hang
wait_for 10 grep -q '^start VI_3 .* backup' "$RUNS" || fail "the event after a hung script never ran"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
grep -q "killed at its timeout" "$TEST_TMP/notify.log" || fail "no 'killed at its timeout' message"
grep -q "ignored SIGTERM: sending SIGKILL" "$TEST_TMP/notify.log" || fail "no SIGKILL escalation"
# gone, or a zombie waiting for a reaper that is not ours
dead() { [ ! -e "/proc/$1" ] || awk '{exit !($3 == "Z")}' "/proc/$1/stat" 2>/dev/null; }
wait_for 2 dead "$(cat "$TEST_TMP/hang.pid")" || fail "hung script still alive"
wait_for 2 dead "$(cat "$TEST_TMP/hang-child.pid")" || fail "hung script's child still alive (process group not killed)"
[ "$ms" -ge 500 ] || fail "next event ran after ${ms}ms, before the 500ms timeout"
log "hung script (ignores SIGTERM) killed with its group; next event after ${ms}ms (timeout 500ms + 1s grace)"

# ---- 7. checks: notify_up / notify_down -------------------------------------
fake check chk_web up
fake check chk_web down
wait_for 5 bash -c "grep -q '^start chk_web .* up' '$RUNS' && grep -q '^start chk_web .* down' '$RUNS'" \
    || fail "check notify_up/notify_down not run: $(grep chk_web "$RUNS")"
log "check notify_up/notify_down ran"

# ---- 7b. sync group: derived from its members ------------------------------
: > "$GEN"
fake set VI_2 master
sleep 0.3
grep -q "^GROUP G1" "$GEN" && fail "group notified while its members disagree: $(cat "$GEN")"
fake set VI_4 master
wait_for 5 grep -q "^GROUP G1 MASTER 0$" "$GEN" || fail "group G1 not MASTER when both members are: $(cat "$GEN")"
fake set VI_4 fault
wait_for 5 grep -q "^GROUP G1 FAULT 0$" "$GEN" || fail "group G1 not FAULT when a member is: $(cat "$GEN")"
assert_eq "$(grep -c '^GROUP G1' "$GEN")" 2 "group notifications"
log "sync group G1: MASTER when both members are, FAULT with one member in fault"

# ---- 8. bounded queue: a slow script cannot grow it -------------------------
notify_stop
wait_for 5 idle
echo 0.2 > "$TEST_TMP/delay"
notify_start --max-queue 4
wait_for 10 grep -q "Replaying the current state" "$TEST_TMP/notify.log"
wait_for 5 idle
sleep 0.5
: > "$RUNS"
fake flap VI_1 40
last=$(fake_seq)
wait_for 30 grep -q "^start VI_1 $last " "$RUNS" || fail "the last event (seq $last) never ran with a bounded queue"
wait_for 5 idle
n=$(grep -c '^start VI_1 ' "$RUNS")
ndrop=$(grep -c 'Dropped event.*queue-full' "$TEST_TMP/notify.log")
[ "$n" -le 8 ] || fail "queue of 4 ran $n of 40 events: not bounded"
[ $(( n + ndrop )) -eq 40 ] || fail "ran $n + dropped $ndrop != 40 events: some were lost silently"
runs_of VI_1 | awk '{ if ($3 <= prev) { print "seq " $3 " after " prev; exit 1 } prev = $3 }' || fail "bounded queue ran out of order"
log "bounded queue 4: 40 events → $n runs, $ndrop reported drops, last seq $last ran"

# ---- 9. --drop-superseded ---------------------------------------------------
notify_stop
wait_for 5 idle
notify_start --drop-superseded
wait_for 10 grep -q "Replaying the current state" "$TEST_TMP/notify.log"
wait_for 5 idle
sleep 0.5
: > "$RUNS"
fake flap VI_1 20
last=$(fake_seq)
wait_for 30 grep -q "^start VI_1 $last " "$RUNS" || fail "the newest event (seq $last) never ran with --drop-superseded"
wait_for 5 idle
n=$(grep -c '^start VI_1 ' "$RUNS")
nsup=$(grep -c 'Dropped event.*: superseded' "$TEST_TMP/notify.log")
[ "$n" -le 3 ] || fail "--drop-superseded still ran $n of 20 events"
[ $(( n + nsup )) -eq 20 ] || fail "ran $n + superseded $nsup != 20"
log "--drop-superseded: 20 events → $n runs, $nsup superseded"

# ---- 10. reload: new scripts apply, an invalid file is refused -------------
wait_for 10 idle
echo 0 > "$TEST_TMP/delay"
cp "$TEST_TMP/vigil.yaml" "$TEST_TMP/vigil.yaml.orig"
sed -i "s#notify_master: \[$TEST_TMP/rec.sh, master\]#notify_master: [$TEST_TMP/rec.sh, master-reloaded]#" "$TEST_TMP/vigil.yaml"
grep -q master-reloaded "$TEST_TMP/vigil.yaml" || fail "test setup: sed did not change the config"
kill -HUP "$notify_PID"
wait_for 5 grep -q "Reloaded" "$TEST_TMP/notify.log" || fail "no reload"
: > "$RUNS"
fake set VI_1 backup reload-test
fake set VI_1 master reload-test
wait_for 5 grep -q "^start VI_1 .* master 0 master-reloaded" "$RUNS" || fail "reloaded script not used: $(cat "$RUNS")"
echo "notify: [ {instance: VI_1, bogus_key: 1} ]" > "$TEST_TMP/vigil.yaml"
kill -HUP "$notify_PID"
wait_for 5 grep -q "Reload refused" "$TEST_TMP/notify.log" || fail "invalid config not refused"
grep -q "vigil.yaml:1:" "$TEST_TMP/notify.log" || fail "no file:line for the invalid config"
fake set VI_1 backup after-refused
wait_for 5 grep -q "^start VI_1 .* backup 0 backup" "$RUNS" || fail "running config lost after a refused reload"
cp "$TEST_TMP/vigil.yaml.orig" "$TEST_TMP/vigil.yaml"
log "reload: new script used; invalid file refused with its location, running config kept"

notify_stop
fake_stop
log "PASS"
