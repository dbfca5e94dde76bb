#!/bin/bash
# Out of memory in checkerd (issue 11): checkerd runs 20 TCP checks against a
# healthy local backend, is moved into a memory cgroup with little headroom
# (cgroup v2 memory.max, or v1 memory.limit_in_bytes where the memory
# controller is only on v1), and is told to reload into 400 checks. It may be
# OOM-killed or survive; either way it must never report a healthy backend
# "down" (every StateChanged on the bus is recorded), and a restart outside
# the cgroup brings every check up.
TEST_NAME=faults-oom
. "$(dirname "$0")/faults-lib.sh"
require_cmd python3

# ---- a memory cgroup ----------------------------------------------------
CG=""
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    if grep -qw memory "$root/cgroup.controllers" 2>/dev/null; then
        grep -qw memory "$root/cgroup.subtree_control" 2>/dev/null || echo +memory > "$root/cgroup.subtree_control" 2>/dev/null
        if mkdir "$root/vigil-oom-$TEST_TAG" 2>/dev/null; then
            CG=$root/vigil-oom-$TEST_TAG; LIMIT_FILE=memory.max; KIND="cgroup v2 memory.max"; break
        fi
    fi
done
if [ -z "$CG" ] && [ -w /sys/fs/cgroup/memory ] && mkdir /sys/fs/cgroup/memory/vigil-oom-$TEST_TAG 2>/dev/null; then
    CG=/sys/fs/cgroup/memory/vigil-oom-$TEST_TAG; LIMIT_FILE=memory.limit_in_bytes; KIND="cgroup v1 memory.limit_in_bytes"
fi
[ -n "$CG" ] || skip "no writable memory cgroup (v2 memory controller or v1 memory hierarchy) on this host"
cleanup_add "rmdir $CG"

bus_start
PORT=$((20000 + RANDOM % 20000))
"$PYTHON" - "$PORT" > "$TEST_TMP/backend.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4096)
print("ready", flush=True)
while True:
    c, _ = s.accept(); c.close()
PY
cleanup_add "kill $!"
wait_for 5 grep -q ready "$TEST_TMP/backend.log" || fail "backend did not start"

# checks differ by interval so checkerd cannot share one probe between them
write_checks() {
    echo "checks:"
    for i in $(seq 1 "$1"); do
        echo "  chk_$i: {type: tcp, address: 127.0.0.1, port: $PORT, interval: $((1000 + i))ms, timeout: 5s, fall: 2}"
    done
}
write_checks 20 > "$TEST_TMP/small.yaml"
write_checks 400 > "$TEST_TMP/big.yaml"
cp "$TEST_TMP/small.yaml" "$TEST_TMP/vigil.yaml"

$BUSCTL monitor --match "type='signal',sender='org.vigil.Checker1',interface='org.vigil.Checker1.Check',member='StateChanged'" \
    > "$TEST_TMP/signals.txt" 2>&1 &
cleanup_add "kill $!"
daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
wait_for 15 check_is chk_20 up || fail "chk_20 not up"

echo "$checkerd_PID" > "$CG/cgroup.procs" || fail "cannot move checkerd into $CG"
# headroom: what it uses now (v2 counts it; v1 charges only new pages) plus 1 MiB
cur=$(cat "$CG/memory.current" 2>/dev/null || echo 0)
echo $(( cur + 1024 * 1024 )) > "$CG/$LIMIT_FILE" || fail "cannot set $LIMIT_FILE"
cp "$TEST_TMP/big.yaml" "$TEST_TMP/vigil.yaml"
out=$($BUSCTL --timeout=30 call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Reload 2>&1); rc=$?
# let it run (or die) under the limit for a while
for i in $(seq 1 50); do kill -0 "$checkerd_PID" 2>/dev/null || break; sleep 0.1; done
sleep 3
if kill -0 "$checkerd_PID" 2>/dev/null; then
    outcome="survived (reload: $([ $rc = 0 ] && echo accepted || echo "refused: $(head -c 120 <<<"$out")"))"
    n_down=$(for i in 1 20 400; do check_prop chk_$i State; done | grep -c down)
    [ "$n_down" = 0 ] || fail "checkerd under memory pressure reports healthy checks down"
else
    outcome="OOM-killed"
fi
failcnt=$(cat "$CG/memory.failcnt" 2>/dev/null || grep -h "^max " "$CG/memory.events" 2>/dev/null | awk '{print $2}')
ooms=$(grep -h "oom_kill " "$CG/memory.oom_control" "$CG/memory.events" 2>/dev/null | awk '{print $2}' | head -1)
kill -KILL "$checkerd_PID" 2>/dev/null; wait "$checkerd_PID" 2>/dev/null

grep -q '"down"' "$TEST_TMP/signals.txt" &&
    fail "a healthy check was reported down: $(grep -B3 '"down"' "$TEST_TMP/signals.txt" | head -20)"
# restart outside the cgroup: every check up
daemon_start checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "restarted checkerd did not take its name"
for i in 1 200 400; do wait_for 20 check_is chk_$i up || fail "chk_$i not up after the restart"; done
sleep 2
grep -q '"down"' "$TEST_TMP/signals.txt" && fail "a healthy check was reported down after the restart"
log "fault: checkerd in $KIND (current + 1 MiB) reloaded 20 -> 400 TCP checks -> $outcome" \
    "(limit hits: ${failcnt:-?}, oom kills: ${ooms:-?}); no StateChanged to down for the healthy backend;" \
    "restart outside the cgroup: checks 1, 200, 400 up"
log "PASS"
