#!/bin/bash
# An interrupted lab cleans up its namespaces and processes: runs the ha lab
# (in the guest, or on a host with ip_vs), sends SIGINT to its process group
# as Ctrl-C would, once the directors, the real servers, ZooKeeper and the
# client probe are running, then checks that nothing of it is left.
# Run by lab/run --interrupt-test (the lab-interrupt test of the vm suite).
set -u
cd "$(dirname "$0")/.."
fail() { echo "lab-interrupt: FAIL: $*"; exit 1; }
# pids_matching PATTERN (the guest has no procps)
pids_matching() {
    local p a
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        # builtins only: a fork per process costs seconds in a loaded guest
        { mapfile -d '' a <"$p/cmdline"; } 2>/dev/null || continue
        [[ " ${a[*]} " == *"$1"* ]] && echo "${p#/proc/}"
    done
    return 0
}
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

ip netns list | grep -q '^lab-' && fail "lab namespaces exist before the test: $(ip netns list | tr '\n' ' ')"
export LAB_TMP=/tmp/lab-interrupt.$$
mkdir -p "$LAB_TMP"
set -m   # job control: the lab gets its own process group, and SIGINT is not ignored in it
lab/guest.sh ha >"$LAB_TMP.out" 2>&1 &
lab=$!
set +m
end=$(( $(now_ms) + 600000 ))
until [ -n "$(pids_matching "--duration 600s")" ]; do   # the client's long probe, not a 300 ms ARP look
    kill -0 $lab 2>/dev/null || { cat "$LAB_TMP.out"; fail "the lab ended before its probe ran"; }
    [ "$(now_ms)" -lt $end ] || { kill -9 -- -$lab; fail "the lab's probe never started"; }
    sleep 0.5
done
sleep 2
before=$(ip netns list | grep -c '^lab-')
procs="vigil-vrrpd vigil-checkerd vigil-ipvsd vigil-fence-zk vigil-probe ZooKeeperServerMain busybox.httpd $LAB_TMP/bus-"
running=
for p in $procs; do [ -n "$(pids_matching "${p/./ }")" ] && running+=" $p"; done
echo "lab-interrupt: running:$running; $before lab namespaces; sending SIGINT to the lab's process group"
kill -INT -- -$lab
t0=$(now_ms)
wait $lab
rc=$?
echo "lab-interrupt: the lab exited with status $rc after $(( $(now_ms) - t0 )) ms"
tail -n 3 "$LAB_TMP.out" | sed 's/^/  | /'
[ "$before" -ge 5 ] || fail "only $before lab namespaces were up when interrupted"
case $running in *vigil-vrrpd*vigil-probe*) ;; *) fail "the lab was interrupted too early (running:$running)" ;; esac
[ $rc = 130 ] || fail "exit status $rc, want 130"
left=$(ip netns list | grep '^lab-' | tr '\n' ' ')
[ -z "$left" ] || fail "namespaces left behind: $left"
for p in $procs; do
    l=$(pids_matching "${p/./ }")
    [ -z "$l" ] || fail "$p left running (pids $l)"
done
[ ! -e "$LAB_TMP" ] || fail "$LAB_TMP left behind"
rm -f "$LAB_TMP.out"
echo "lab-interrupt: ok: no namespace, process or temporary directory left"
