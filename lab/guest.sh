#!/bin/bash
# Runs the named labs here (inside the VM guest, or on a host with ip_vs).
# Called by lab/run; prints the report, or JSON with --json.
cd "$(dirname "$0")/.."
. lab/lib.sh
json=0
labs=()
for a in "$@"; do
    case $a in
        --json) json=1 ;;
        *) labs+=("$a") ;;
    esac
done
LAB_JSON=$json
for f in lab/nat.sh lab/dr.sh lab/tun.sh lab/fullnat.sh lab/ha.sh lab/active-active.sh; do
    [ -f "$f" ] && . "$f"
done
# Interrupts: bash 5.2 aborts ("reader_loop: bad jump") or runs a trap's
# exit wrongly when a signal lands while it parses a command substitution,
# which the labs do all the time (seen with lab/test-interrupt.sh). So the
# labs run in a worker that has no signal trap (started in the background,
# it ignores SIGINT), and this supervisor, which only waits, takes INT and
# TERM: it kills the worker and undoes what the worker registered
# ($LAB_TMP/cleanup.list), then sweeps the lab-* namespaces.
if [ -z "${LAB_WORKER:-}" ]; then
    trap 'touch "$LAB_TMP/interrupted"' INT TERM
    LAB_WORKER=1 LAB_TMP=$LAB_TMP bash "$PWD/lab/guest.sh" "$@" &
    worker=$!
    while :; do
        wait $worker; rc=$?
        [ -e "$LAB_TMP/interrupted" ] || { rm -rf "$LAB_TMP"; exit $rc; }
        # interrupted
        trap '' INT TERM
        kill -9 $worker 2>/dev/null; wait $worker 2>/dev/null
        _lab_cleanup=()
        [ -f "$LAB_TMP/cleanup.list" ] && mapfile -t _lab_cleanup <"$LAB_TMP/cleanup.list"
        lab_cleanup
        lab_sweep
        rm -rf "$LAB_TMP"
        echo "lab: interrupted; namespaces and processes removed" >&2
        exit 130
    done
fi
# LAB_KEEP_LOGS=DIR keeps the daemons' logs (DIR on the shared tree from a guest)
trap 'lab_cleanup; [ -z "${LAB_KEEP_LOGS:-}" ] || { mkdir -p "$LAB_KEEP_LOGS" && cp -r "$LAB_TMP"/*.log "$LAB_TMP"/zk "$LAB_KEEP_LOGS"/; } 2>/dev/null' EXIT

modprobe ip_vs 2>/dev/null || true
[ -e /proc/net/ip_vs ] || { echo "lab: this kernel has no IPVS (ip_vs)" >&2; exit 1; }

start=$(date +%s)
for l in "${labs[@]}"; do
    fn="lab_${l//-/_}"
    if ! declare -F "$fn" >/dev/null; then
        LAB_CURRENT=$l; fail "lab '$l' is not available"
        continue
    fi
    "$fn"
    lab_cleanup
done
secs=$(( $(date +%s) - start ))
if [ "$json" = 1 ]; then
    printf '{"passed":%d,"failed":%d,"seconds":%d,"steps":[' "$LAB_STEPS_PASSED" "$LAB_STEPS_FAILED" "$secs"
    first=1
    for r in "${LAB_RESULTS[@]}"; do [ $first = 1 ] || printf ','; first=0; printf '%s' "$r"; done
    printf '],"measures":['
    first=1
    for r in "${LAB_MEASURES[@]}"; do [ $first = 1 ] || printf ','; first=0; printf '%s' "$r"; done
    printf ']}\n'
else
    echo
    echo "lab: $LAB_STEPS_PASSED passed, $LAB_STEPS_FAILED failed in ${secs}s"
fi
[ "$LAB_STEPS_FAILED" = 0 ]
