#!/bin/bash
# Helpers for the fault-injection suite (issue 11): real daemons on a private
# bus, vrrpd pairs in network namespaces (tests/integration/vrrp/vrrp-lib.sh),
# and the checks each fault case shares. Every case prints what it did and
# what it saw ("# fault: ... -> ...").
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}/tests/integration/vrrp/vrrp-lib.sh"

NOTIFY=$VIGIL_BUILD_ROOT/tools/notify/vigil-notify
PROBE=$VIGIL_BUILD_ROOT/tests/tools/vigil-probe

# Bus name of each vrrpd node: org.vigil.Vrrp1.<node> unless BUSNAME[node] says
# otherwise (a node may own the default name so vigil-notify follows it).
declare -A BUSNAME
vname() { echo "${BUSNAME[$1]:-org.vigil.Vrrp1.$1}"; }
node_start() {
    local n=$1 conf=$2
    VIGIL_BUS_NAME=$(vname "$n") daemon_start_ns "${NS[$n]}" "vrrpd_$n" "$VRRPD" -c "$conf"
    wait_for 10 bus_has_name "$(vname "$n")" || fail "vrrpd on $n did not take its bus name"
}
inst_path() {
    $BUSCTL call "$(vname "$1")" /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager ListInstances 2>/dev/null |
        tr ' ' '\n' | tr -d '"' | awk -v want="$2" 'prev == want { print; exit } { prev = $0 }'
}
prop() {
    local p
    p=$(inst_path "$1" "$2") || return 1
    [ -n "$p" ] || return 1
    $BUSCTL get-property "$(vname "$1")" "$p" org.vigil.Vrrp1.Instance "$3" 2>/dev/null | cut -d' ' -f2- | tr -d '"'
}
counter() {
    local p
    p=$(inst_path "$1" "$2")
    $BUSCTL get-property "$(vname "$1")" "$p" org.vigil.Vrrp1.Instance Counters 2>/dev/null |
        tr ' ' '\n' | tr -d '"' | awk -v want="$3" 'prev == want { print; exit } { prev = $0 }'
}

# check_prop CHECK PROPERTY: a checkerd check's property value
check_path() { echo "/org/vigil/Checker1/check/$(printf '%s' "$1" | sed 's/_/_5f/g')"; }
check_prop() {
    $BUSCTL get-property org.vigil.Checker1 "$(check_path "$1")" org.vigil.Checker1.Check "$2" 2>/dev/null |
        cut -d' ' -f2- | tr -d '"'
}
check_is() { [ "$(check_prop "$1" State)" = "$2" ]; }

# bus_restart: kill the private dbus-daemon and start a new one on the same
# socket after GAP seconds (default 0.5). Daemons see their connection drop.
bus_restart() {
    local gap=${1:-0.5}
    kill "$BUS_PID"
    wait "$BUS_PID" 2>/dev/null
    rm -f "$TEST_TMP/bus.sock" "$TEST_TMP/bus.addr"
    sleep "$gap"
    dbus-daemon --config-file="$TEST_TMP/bus.conf" --nofork --print-address=3 3>"$TEST_TMP/bus.addr" >>"$TEST_TMP/dbus.log" 2>&1 &
    BUS_PID=$!
    cleanup_add "kill $BUS_PID"
    wait_for 5 test -s "$TEST_TMP/bus.addr" || fail "dbus-daemon did not restart"
}

# bus_snapshot NAME: the object tree and every property of every object a
# daemon serves, sorted; Counters/Stats/LastChange/histograms vary by
# themselves and are left out (compared separately where it matters).
bus_snapshot() {
    local name=$1 p
    for p in $($BUSCTL tree --list "$name" 2>/dev/null | sort); do
        echo "$p"
        $BUSCTL introspect --no-legend "$name" "$p" 2>/dev/null |
            awk '$2 == "property" && $1 !~ /Counters|Stats|LastChange|Latency|Runs|Histogram/ { $1 = $1; print "  " $0 }'
    done
}

# procs_of PATTERN: pids whose command line contains PATTERN (no procps in the guest)
procs_of() {
    local d cmd
    for d in /proc/[0-9]*; do
        cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null) || continue
        case $cmd in *"$1"*) echo "${d#/proc/}" ;; esac
    done
}

# vip_count NODE ADDR: how many times ADDR is configured on NODE's eth0
vip_count() {
    local out
    out=$(ip -n "${NS[$1]}" -o addr show dev eth0)
    grep -cw "inet6\? $2" <<<"$out"
}

# sample_vips FILE NODE...: every 10 ms, one line "t_ms on_n1 on_n2 ..." (1 = VIP
# configured on that node's eth0). SAMPLE_PID is the sampler.
sample_vips() {
    local file=$1; shift
    local nodes=("$@")
    ( t0=$(now_ns); while :; do
        line="$(( ($(now_ns) - t0) / 1000000 ))"
        for n in "${nodes[@]}"; do
            out=$(ip -n "${NS[$n]}" -4 addr show dev eth0)
            if grep -q "${VIP_ADDR:-$NET.50}/" <<<"$out"; then line+=" 1"; else line+=" 0"; fi
        done
        echo "$line"; sleep 0.01; done ) > "$file" &
    SAMPLE_PID=$!
    cleanup_add "kill $SAMPLE_PID"
}
# overlap FILE: samples where the VIP was on more than one node
overlap() { awk '{ s = 0; for (i = 2; i <= NF; i++) s += $i; if (s > 1) n++ } END { print n + 0 }' "$1"; }

# probe_vip DURATION OUTFILE: vigil-probe ARPs for the VIP from the client every
# 10 ms (PROBE_PID). Its log: "req T SEQ" and "arp T SEQ MAC".
probe_vip() {
    [ -x "$PROBE" ] || fail "$PROBE not built"
    ip netns exec "${NS[c]}" "$PROBE" --iface eth0 --vip "${VIP_ADDR:-$NET.50}" --arp-interval 10ms \
        --duration "$1" --out "$2" > "$TEST_TMP/probe.stdout" 2>&1 &
    PROBE_PID=$!
    cleanup_add "kill $PROBE_PID"
}
# probe_split FILE: ARP requests answered by two different MACs
probe_split() { awk '$1 == "arp" { if (($3 in mac) && mac[$3] != $4) n++; mac[$3] = $4 } END { print n + 0 }' "$1"; }
# probe_split_detail FILE: each such request with its answers (time ms, MAC)
probe_split_detail() {
    awk '$1 == "arp" { a[$3] = a[$3] " " $2 "=" $4; if (($3 in mac) && mac[$3] != $4) s[$3] = 1; mac[$3] = $4 }
         END { for (k in s) print "request " k ":" a[k] }' "$1"
}
# probe_owners FILE: the sequence of MACs that answered, consecutive duplicates folded
probe_owners() { awk '$1 == "arp" && $4 != last { printf "%s ", $4; last = $4 } END { print "" }' "$1"; }
