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
trap 'lab_cleanup; rm -rf "$LAB_TMP"' EXIT
trap 'exit 130' INT TERM

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
    printf ']}\n'
else
    echo
    echo "lab: $LAB_STEPS_PASSED passed, $LAB_STEPS_FAILED failed in ${secs}s"
fi
[ "$LAB_STEPS_FAILED" = 0 ]
