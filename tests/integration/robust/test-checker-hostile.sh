#!/bin/bash
# checkerd against 1,000 hostile HTTP backends at once (hostile.py, one
# asyncio loop): 250 that accept and never answer, 250 that trickle a status
# line one byte at a time, 250 with a chunked body that never ends, 250 that
# answer binary garbage and hold the connection. Each has its own
# 127.0.x.y address (no shared probes), 2 s interval, 1 s timeout. Asserted:
# every hostile check (initial state down) goes down and none ever reports
# up (the endless ones carry a digest: without one a 200 status is healthy); a good backend
# checked at the same time still flips down and up when it changes (the
# hostile ones do not starve it); checkerd's descriptors stay within one per
# check plus a margin, its RSS within a bound, its log lines bounded; the bus
# answers throughout. Prints CPU, RSS, descriptors and connection counts.
. "${VIGIL_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}/tests/integration/common/lib.sh"
require_root
require_cmd python3 busctl
N=${N_PER_KIND:-250}
bus_start
ns=$(netns_add s)
H=$TEST_TMP/h; mkdir -p "$H"
BASE=20000   # the namespace is ours: no port clash
ip netns exec "$ns" python3 "$VIGIL_SOURCE_ROOT/tests/integration/robust/hostile.py" "$H" "$BASE" hang trickle endless garbage >"$TEST_TMP/hostile.log" 2>&1 &
HPID=$!
cleanup_add "kill $HPID"
# the good backend in a process of its own: the hostile loop is busy
ip netns exec "$ns" python3 "$VIGIL_SOURCE_ROOT/tests/integration/robust/hostile.py" "$H" "$BASE" good >"$TEST_TMP/good.log" 2>&1 &
cleanup_add "kill $!"
wait_for 30 test -e "$H/ready-hang-trickle-endless-garbage" || fail "hostile backends did not start"
wait_for 30 test -e "$H/ready-good" || fail "the good backend did not start"

kinds=(hang trickle endless garbage)
{
    echo "checks:"
    for k in 0 1 2 3; do
        for i in $(seq 1 "$N"); do
            # endless: a digest makes the body matter (a 200 status alone is healthy, rightly)
            printf '  %s_%d: {type: http, address: 127.0.%d.%d, port: %d, path: /, timeout: 1s, max_body: 65536, interval: 2s, fall: 1, rise: 1, initial_state: down%s}\n' \
                "${kinds[$k]}" "$i" $((k + 1 + (i - 1) / 250 * 4)) $(( (i - 1) % 250 + 1 )) $((BASE + k)) \
                "$([ "${kinds[$k]}" = endless ] && echo ', digest: "2d2e0b1b7d2a5f1b8d1bd6bd9f1e8d1a"')"
        done
    done
    echo "  good: {type: http, address: 127.0.0.1, port: $((BASE + 4)), path: /, timeout: 3s, interval: 500ms, fall: 1, rise: 1}"
} > "$TEST_TMP/vigil.yaml"
"$CHECKERD" -c "$TEST_TMP/vigil.yaml" --check-config >/dev/null 2>"$TEST_TMP/cc.err" || fail "config: $(head -3 "$TEST_TMP/cc.err")"
ip netns exec "$ns" "$CHECKERD" --log-target=console --log-level=info -c "$TEST_TMP/vigil.yaml" >"$TEST_TMP/checkerd.log" 2>&1 &
CPID=$!
cleanup_add "kill -9 $CPID"
wait_for 60 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
t0=$(now_ns); ticks0=$(awk '{ print $14 + $15 }' "/proc/$CPID/stat")

# states: "kind up down unknown" per kind, from one ListChecks via vigilctl
states() {
    "$VIGILCTL" --json checks | python3 -c '
import json, sys, collections
c = collections.Counter()
for x in json.load(sys.stdin):
    c[(x["name"].split("_")[0], x["state"])] += 1
for k in ("hang", "trickle", "endless", "garbage", "good"):
    print(k, c[(k, "up")], c[(k, "down")], c[(k, "unknown")])'
}
max_fd=0 max_rss=0 ever_up=0
sample() {
    local fds rss
    fds=$(ls "/proc/$CPID/fd" | wc -l)
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$CPID/status")
    [ "$fds" -gt "$max_fd" ] && max_fd=$fds
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    # (no fail here: wait_for runs this with its output discarded)
    if ! states > "$TEST_TMP/states" 2>>"$TEST_TMP/states.err"; then
        echo "ListChecks failed at $(now_ns)" >> "$TEST_TMP/problems"
        return 1
    fi
    local up
    up=$(awk '$1 != "good" { s += $2 } END { print s + 0 }' "$TEST_TMP/states")
    [ "$up" = 0 ] || { echo "$up hostile checks up: $(tr '\n' ' ' < "$TEST_TMP/states")" >> "$TEST_TMP/problems"; return 1; }
}
problems() { [ ! -s "$TEST_TMP/problems" ] || fail "$(head -5 "$TEST_TMP/problems")"; }
all_down() {
    sample
    [ "$(awk '$1 != "good" { s += $3 } END { print s + 0 }' "$TEST_TMP/states")" = $((4 * N)) ]
}
good_is() { sample; [ "$(awk -v c="$1" '$1 == "good" { print (c == "up" ? $2 : $3) }' "$TEST_TMP/states")" = 1 ]; }

wait_for 120 all_down || { problems; cat "$TEST_TMP/states" >&2; fail "not every hostile check went down"; }
problems
log "all $((4 * N)) hostile checks down after $(( ($(now_ns) - t0) / 1000000 )) ms"
# a good backend among them: up, then down, then up again, each seen
wait_for 60 good_is up || { problems; fail "the good check is not up among the hostile ones"; }
touch "$H/good-down"
wait_for 60 good_is down || { problems; fail "the good backend went 503: its check did not go down"; }
rm -f "$H/good-down"
wait_for 60 good_is up || { problems; fail "the good backend is back: its check did not come up"; }
# the storm goes on for a while more: nothing comes up, resources stay bounded
end=$(( $(now_ns) + 10 * 1000000000 ))
while [ "$(now_ns)" -lt "$end" ]; do sample; sleep 1; done
problems
ticks1=$(awk '{ print $14 + $15 }' "/proc/$CPID/stat")
el_ms=$(( ($(now_ns) - t0) / 1000000 ))
cpu=$(( (ticks1 - ticks0) * 1000 * 100 / $(getconf CLK_TCK) / el_ms ))
sleep 1.5 # the backends rewrite their counts every second
STATS=$H/stats-hang-trickle-endless-garbage
lines=$(wc -l < "$TEST_TMP/checkerd.log")
log "checkerd over ${el_ms} ms: CPU ${cpu}%, max descriptors $max_fd, max RSS ${max_rss} kB, log lines $lines; backend connections: $(cat "$STATS")"
[ "$max_fd" -le $((4 * N + 1 + 64)) ] || fail "checkerd held $max_fd descriptors for $((4 * N + 1)) checks"
# ~10 MB measured; ASan's shadow and quarantine make it ~115 MB
rss_bound=65536; ldd "$CHECKERD" | grep -q libasan && rss_bound=262144
[ "$max_rss" -le "$rss_bound" ] || fail "checkerd RSS reached $max_rss kB (bound $rss_bound)"
# state changes are logged once each, failures of a down check are not repeated per attempt at info
[ "$lines" -le $((4 * N * 3 + 200)) ] || fail "checkerd wrote $lines log lines"
for k in "${kinds[@]}"; do
    c=$(tr ' ' '\n' < "$STATS" | awk -F= -v k="$k" '$1 == k { print $2 }')
    [ "$c" -ge "$N" ] || fail "$k: only $c connections for $N checks"
done
kill -0 "$CPID" || fail "checkerd died"
log "PASS"
