#!/bin/bash
# Shared helpers for the labs (run inside the guest, or on a host with ip_vs).
# Each lab builds its own topology out of network namespaces: one "switch"
# namespace holds the bridges (so nothing touches the host's own interfaces),
# every host of the lab is a namespace plugged into a bridge with a veth pair.
# Everything created is registered for cleanup, which runs on exit or interrupt.

set -o pipefail
LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${LAB_BUILD:-$LAB_ROOT/build}
IPVSD=$BUILD/ipvsd/vigil-ipvsd
VRRPD=$BUILD/vrrpd/vigil-vrrpd
CHECKERD=$BUILD/checkerd/vigil-checkerd
VIGILCTL=$BUILD/tools/vigilctl
LAB_TMP=${LAB_TMP:-$(mktemp -d /tmp/vigil-lab.XXXXXX)}
LAB_JSON=${LAB_JSON:-0}
LAB_SW=lab-sw

_lab_cleanup=()
# also written to a file: guest.sh's supervisor runs them when interrupted
lab_on_exit() { _lab_cleanup+=("$*"); echo "$*" >>"$LAB_TMP/cleanup.list"; }
lab_cleanup() {
    local i
    for (( i=${#_lab_cleanup[@]}-1; i>=0; i-- )); do
        eval "${_lab_cleanup[$i]}" >/dev/null 2>&1 || true
    done
    _lab_cleanup=()
    : >"$LAB_TMP/cleanup.list"
}
# pids_matching PATTERN: processes whose command line contains PATTERN (the
# guest has no procps; builtins only: a fork per process costs seconds in a
# loaded guest).
pids_matching() {
    local p a
    for p in /proc/[0-9]*; do
        { mapfile -d '' a <"$p/cmdline"; } 2>/dev/null || continue
        [[ " ${a[*]} " == *"$1"* ]] && echo "${p#/proc/}"
    done
    return 0
}
# lab_sweep: whatever is left in a lab-* namespace, or names $LAB_TMP on its
# command line (the directors' buses), is killed; the namespaces go.
lab_sweep() {
    local ns p
    for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^lab-/ {print $1}'); do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for p in $(pids_matching "$LAB_TMP/"); do [ "$p" = $$ ] || kill -9 "$p" 2>/dev/null; done
    return 0
}

# ---- report ----------------------------------------------------------------
LAB_STEPS_PASSED=0
LAB_STEPS_FAILED=0
LAB_CURRENT=
LAB_RESULTS=()   # JSON objects, one per step
LAB_MEASURES=()  # JSON objects, one per measured row (lab_measure)

# _json_str STRING: a JSON string literal (bash only: the guest has no python3).
_json_str() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}; s=${s//$'\r'/\\r}
    [[ $s == *[$'\x01'-$'\x1f']* ]] && s=$(printf '%s' "$s" | tr -d '\001-\037')
    printf '"%s"' "$s"
}
# lab_measure "k=v k=v ...": one measured row for --json ("measures"), numbers
# as numbers, "-" as null, anything else as a string.
lab_measure() {
    local kv out="{\"lab\":\"$LAB_CURRENT\"" k v
    for kv in $1; do
        k=${kv%%=*}; v=${kv#*=}
        if [[ $v =~ ^-?[0-9]+$ ]]; then out+=",\"$k\":$v"
        elif [ "$v" = - ]; then out+=",\"$k\":null"
        else out+=",\"$k\":$(_json_str "$v")"; fi
    done
    LAB_MEASURES+=("$out}")
}

say() { [ "$LAB_JSON" = 1 ] && echo "$*" >&2 || echo "$*"; }
lab_begin() {
    LAB_CURRENT=$1
    say ""
    say "=== lab $1: $2"
}
# pass/fail MESSAGE [DETAIL]
pass() {
    LAB_STEPS_PASSED=$((LAB_STEPS_PASSED + 1))
    say "  [PASS] $1${2:+  ($2)}"
    LAB_RESULTS+=("{\"lab\":\"$LAB_CURRENT\",\"step\":$(_json_str "$1"),\"ok\":true,\"detail\":$(_json_str "${2:-}")}")
}
fail() {
    LAB_STEPS_FAILED=$((LAB_STEPS_FAILED + 1))
    say "  [FAIL] $1${2:+  ($2)}"
    LAB_RESULTS+=("{\"lab\":\"$LAB_CURRENT\",\"step\":$(_json_str "$1"),\"ok\":false,\"detail\":$(_json_str "${2:-}")}")
}
info() { say "         $*"; }
# check MESSAGE CMD...: pass when CMD succeeds.
check() {
    local msg=$1; shift
    if "$@"; then pass "$msg"; else fail "$msg"; fi
}

# ---- topology --------------------------------------------------------------
lab_switch() {
    ip netns add $LAB_SW 2>/dev/null || true
    lab_on_exit "ip netns del $LAB_SW"
    ip -n $LAB_SW link set lo up
}
# lab_bridge NAME
lab_bridge() {
    ip -n $LAB_SW link add "$1" type bridge
    ip -n $LAB_SW link set "$1" type bridge forward_delay 0 stp_state 0 2>/dev/null || true
    ip -n $LAB_SW link set "$1" up
}
# lab_host NAME: a namespace "lab-NAME" with lo up.
lab_host() {
    ip netns add "lab-$1"
    lab_on_exit "ip netns del lab-$1"
    ip -n "lab-$1" link set lo up
}
# lab_plug HOST IFNAME BRIDGE [ADDR/PLEN...]
_plug_n=0
lab_plug() {
    local host=$1 ifn=$2 br=$3; shift 3
    local peer="p${_plug_n}-$host"; peer=${peer:0:15}
    _plug_n=$((_plug_n + 1))
    ip link add "tmp$_plug_n" type veth peer name "$peer"
    ip link set "$peer" netns $LAB_SW
    ip -n $LAB_SW link set "$peer" master "$br" up
    ip link set "tmp$_plug_n" netns "lab-$host"
    ip -n "lab-$host" link set "tmp$_plug_n" name "$ifn" up
    local a
    for a in "$@"; do ip -n "lab-$host" addr add "$a" dev "$ifn"; done
}
# on HOST CMD...: run CMD on the host's namespace.
on() { local h=$1; shift; ip netns exec "lab-$h" "$@"; }

# lab_httpd HOST PORT NAME [ADDR]: a real web server answering with a page naming the server.
lab_httpd() {
    local host=$1 port=$2 name=$3 dir=$LAB_TMP/www-$1-$2
    mkdir -p "$dir"
    echo "$name" > "$dir/index.html"
    ip netns exec "lab-$host" busybox httpd -f -p "${4:+$4:}$port" -h "$dir" &
    lab_on_exit "kill $!"
}

# lab_bus NAME: a private system bus for one director; sets BUS_<NAME>.
lab_bus() {
    local name=$1 sock=$LAB_TMP/bus-$1.sock conf=$LAB_TMP/bus-$1.conf
    cat > "$conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
XML
    dbus-daemon --config-file="$conf" --nofork >"$LAB_TMP/bus-$1.log" 2>&1 &
    lab_on_exit "kill $!"
    local i
    for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
    eval "BUS_${name//-/_}=unix:path=$sock"
}

# lab_daemon HOST BUSNAME LOGNAME BINARY ARGS...: start a vigil daemon in HOST on that bus.
lab_daemon() {
    local host=$1 bus=$2 logname=$3 bin=$4; shift 4
    local busvar="BUS_${bus//-/_}"
    ip netns exec "lab-$host" env DBUS_SYSTEM_BUS_ADDRESS="${!busvar}" VIGIL_STATE_DIR="$LAB_TMP/state-$host" \
        "$bin" --log-target=console "$@" >>"$LAB_TMP/$logname.log" 2>&1 &
    local pid=$!
    disown $pid   # no "Killed" job notices when a lab kill -9s it on purpose
    eval "PID_${logname//-/_}=$pid"
    lab_on_exit "kill $pid"
}
# wait_gone PID [SECONDS]: wait until a (disowned) process has exited.
wait_gone() { local i; for i in $(seq $(( ${2:-10} * 20 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; return 1; }

# now_ms: CLOCK_REALTIME in ms (bash 5, no fork: busybox date has no %N).
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

# wait_until SECONDS CMD...: poll every 50 ms.
wait_until() {
    local t=$1; shift
    local end=$(( $(now_ms) + t * 1000 ))
    while [ $(now_ms) -lt $end ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

# fetch HOST URL: the page body, or empty on failure (1 s timeout).
fetch() { on "$1" curl -s --max-time "${3:-2}" "$2" 2>/dev/null; }

# distribution HOST URL N: "name=count ..." over N requests, each on a new
# connection (busybox httpd closes after every answer), from one curl process:
# process start-up is what costs under emulation.
distribution() {
    local host=$1 url=$2 n=$3 i urls=()
    for i in $(seq "$n"); do urls+=("$url"); done
    on "$host" curl -s --max-time 5 "${urls[@]}" 2>/dev/null | grep -v '^$' | sort | uniq -c |
        awk '{printf "%s=%s ", $2, $1}'
}
# count_of "DIST" NAME
# even_split "DIST" A B N: rr-like spread: N requests (at most one lost to an
# emulation hiccup), neither server more than one ahead of the other.
even_split() {
    local a b; a=$(count_of "$1" "$2"); b=$(count_of "$1" "$3")
    [ $((a + b)) -ge $(($4 - 1)) ] && [ $((a - b)) -le 1 ] && [ $((b - a)) -le 1 ]
}
count_of() { local v; v=$(grep -o "\(^\| \)$2=[0-9]*" <<<"$1" | cut -d= -f2 | head -1); echo "${v:-0}"; }

ipvs_table() { on "$1" ipvsadm -Ln 2>&1; }

# ipvs_stats HOST VIP:PORT MIN_CONNS: prints "Conns InPkts OutPkts" of a TCP
# service once its counters include MIN_CONNS connections (fails after 30 s,
# printing the last read). Why wait: before Linux 6.2 the counters that
# ipvsadm --stats (IPVS_CMD_GET_SERVICE) reads are a copy of the per-CPU
# counters that the rate estimator's timer refreshes every 2 s (ip_vs_est.c,
# estimation_timer → ip_vs_read_cpu_stats): read right after the traffic they
# still say 0 (lab tun's "in=0 out=0" with every answer forwarded), and under
# a loaded emulated guest the timer runs late.
# ipvs_stats_reads afterwards: how many reads it took (1 = current at once).
ipvs_stats() {
    local host=$1 svc=$2 min=$3 line c t0 end
    t0=$(now_ms); end=$(( t0 + 30000 ))
    echo 0 > "$LAB_TMP/ipvs-stats.reads"
    while :; do
        line=$(on "$host" ipvsadm -Ln --stats -t "$svc" 2>/dev/null | awk '$1=="TCP" {print $3, $4, $5}')
        echo $(( $(cat "$LAB_TMP/ipvs-stats.reads") + 1 )) > "$LAB_TMP/ipvs-stats.reads"
        read -r c _ <<<"$line"
        if [ "${c:-0}" -ge "$min" ]; then echo "$line"; return 0; fi
        if [ "$(now_ms)" -ge $end ]; then echo "${line:-none}"; return 1; fi
        sleep 0.5
    done
}
ipvs_stats_reads() { cat "$LAB_TMP/ipvs-stats.reads" 2>/dev/null; }
# answered "DIST": the number of requests that got a page.
answered() { local n=0 w; for w in $1; do n=$((n + ${w#*=})); done; echo $n; }

# ipvsd_start HOST CONFIG: start vigil-ipvsd in HOST on its own bus and wait
# until the kernel table holds the configured services.
ipvsd_start() {
    local host=$1 cfg=$2
    [ -x "$IPVSD" ] || { fail "vigil-ipvsd is not built ($IPVSD)"; return 1; }
    lab_bus "$host"
    lab_daemon "$host" "$host" "ipvsd-$host" "$IPVSD" -c "$cfg"
    local busvar="BUS_${host//-/_}"
    if wait_until 90 env DBUS_SYSTEM_BUS_ADDRESS="${!busvar}" busctl --system get-property org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Version; then
        pass "vigil-ipvsd started on $host"
    else
        fail "vigil-ipvsd did not start on $host" "$(tail -n 5 "$LAB_TMP/ipvsd-$host.log" | tr '\n' ' ')"
        return 1
    fi
}
# ipvsd_reload HOST: Reload() over the bus; prints the error on failure.
ipvsd_reload() {
    local busvar="BUS_${1//-/_}"
    DBUS_SYSTEM_BUS_ADDRESS="${!busvar}" busctl --system call org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Reload
}

PROBE=$BUILD/tests/tools/vigil-probe

# mac_of HOST IF
mac_of() { on "$1" cat "/sys/class/net/$2/address"; }
# who_answers CLIENT IF VIP: the MACs that answer ARP for VIP right now (one per line).
who_answers() {
    local f=$LAB_TMP/who.$RANDOM
    on "$1" "$PROBE" --iface "$2" --vip "$3" --arp-interval 50ms --duration 300ms --out "$f" >/dev/null 2>&1
    awk '$1=="arp" {print $4}' "$f" | sort -u
    rm -f "$f"
}
# mark FILE LABEL: a timestamped marker in a probe file (ms, CLOCK_REALTIME).
mark() { echo "mark $(now_ms) $2" >> "$1"; }
