#!/bin/bash
# Helpers for vrrpd integration tests: a LAN of namespaces on a bridge, one
# private bus shared by every node (each vrrpd owns org.vigil.Vrrp1.<node>
# through VIGIL_BUS_NAME), and bus/VIP queries.
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}/tests/integration/common/lib.sh"

require_root
require_cmd ip busctl dbus-daemon nft

# Subnet per test so parallel tests do not meet (each test has its own namespaces anyway).
NET=${NET:-10.77.0}
NET6=${NET6:-fd77::}

# vrrp_lan NODE...: namespaces for each node plus a client "c", all on one bridge.
# Node k gets $NET.k/24 (and ${NET6}k/64), the client $NET.100.
declare -A NS
vrrp_lan() {
    local all=("$@" c) n k=1 ns
    for n in "${all[@]}"; do
        ns=$(netns_add "$n")
        NS[$n]=$ns
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    local nslist=()
    for n in "${all[@]}"; do nslist+=("${NS[$n]}"); done
    NS[br]=$(bridge_lan lan "${nslist[@]}")
    # no multicast snooping surprises, forward immediately
    ip -n "${NS[br]}" link set br0 type bridge mcast_snooping 0 2>/dev/null || true
    for n in "${all[@]}"; do
        if [ "$n" = c ]; then k=100; fi
        ip -n "${NS[$n]}" addr add "$NET.$k/24" dev eth0
        ip -n "${NS[$n]}" addr add "${NET6}$k/64" dev eth0 nodad
        k=$((k + 1))
    done
    # link-local addresses without DAD are usable at once; wait until they exist
    for n in "${all[@]}"; do
        wait_for 5 sh -c "ip -n ${NS[$n]} -6 addr show dev eth0 scope link | grep -q fe80" || fail "no link-local on $n"
    done
}

# node_start NODE CONFIG-FILE: vrrpd in the node's namespace on the shared bus.
node_start() {
    local n=$1 conf=$2
    VIGIL_BUS_NAME=org.vigil.Vrrp1.$n daemon_start_ns "${NS[$n]}" "vrrpd_$n" "$VRRPD" -c "$conf"
    wait_for 10 bus_has_name "org.vigil.Vrrp1.$n" || fail "vrrpd on $n did not take its bus name"
}
node_pid() { eval "echo \${vrrpd_$1_PID}"; }

# inst_path NODE INSTANCE
inst_path() {
    $BUSCTL call "org.vigil.Vrrp1.$1" /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager ListInstances 2>/dev/null |
        tr ' ' '\n' | tr -d '"' | awk -v want="$2" 'prev == want { print; exit } { prev = $0 }'
}
# prop NODE INSTANCE PROPERTY: the value, without the type and quotes
prop() {
    local p
    p=$(inst_path "$1" "$2") || return 1
    [ -n "$p" ] || return 1
    $BUSCTL get-property "org.vigil.Vrrp1.$1" "$p" org.vigil.Vrrp1.Instance "$3" 2>/dev/null | cut -d' ' -f2- | tr -d '"'
}
state() { prop "$1" "$2" State; }
state_is() { [ "$(state "$1" "$2")" = "$3" ]; }
wait_state() { # NODE INSTANCE STATE TIMEOUT
    wait_for "$4" state_is "$1" "$2" "$3" || fail "$1/$2: expected state $3 within $4 s, is '$(state "$1" "$2")' ($(prop "$1" "$2" LastReason))"
}
counter() { # NODE INSTANCE NAME
    local p
    p=$(inst_path "$1" "$2")
    $BUSCTL get-property "org.vigil.Vrrp1.$1" "$p" org.vigil.Vrrp1.Instance Counters 2>/dev/null |
        tr ' ' '\n' | tr -d '"' | awk -v want="$3" 'prev == want { print; exit } { prev = $0 }'
}
has_vip() { # NODE ADDR/PREFIX   (no "| grep -q": with pipefail, SIGPIPE on ip would read as "absent")
    local out
    out=$(ip -n "${NS[$1]}" addr show dev eth0)
    grep -qw "inet6\? $2" <<<"$out"
}

# monitor_start FILE: records every StateChanged of every node on the bus
monitor_start() {
    $BUSCTL monitor --match "type='signal',interface='org.vigil.Vrrp1.Instance',member='StateChanged'" > "$1" 2>&1 &
    cleanup_add "kill $!"
    sleep 0.3
}

# write_conf FILE PRIORITY [extra instance yaml lines...]
write_conf() {
    local f=$1 prio=$2; shift 2
    {
        echo "vrrp:"
        echo "  instances:"
        echo "    VI_1:"
        echo "      interface: eth0"
        echo "      virtual_router_id: ${VRID:-51}"
        echo "      priority: $prio"
        echo "      advert_interval: ${ADVERT:-1s}"
        local l
        for l in "$@"; do echo "      $l"; done
        echo "      virtual_addresses:"
        echo "        - address: ${VIP:-$NET.50/24}"
    } > "$f"
}

node_mac() { ip -n "${NS[$1]}" link show eth0 | awk '/link\/ether/ {print $2}'; }
# The distribution's python starts in ~50 ms; a pyenv shim can take a second.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
# probe_arp DURATION [extra args]: the client ARPs for the VIP every 10 ms (probe.py)
probe_arp() {
    local d=$1; shift
    ip netns exec "${NS[c]}" "$PYTHON" "$VIGIL_SOURCE_ROOT/tests/integration/vrrp/probe.py" \
        --target "${VIP_ADDR:-$NET.50}" --base "$NET.200" --interval 0.01 --duration "$d" "$@"
}
# json_get JSON PYTHON-EXPR-ON-d
json_get() { "$PYTHON" -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }
# probe_start DURATION OUTFILE: probe in the background; returns once it sends (PROBE_PID)
probe_start() {
    rm -f "$TEST_TMP/probe.ready"
    probe_arp "$1" --timeline --ready "$TEST_TMP/probe.ready" > "$2" &
    PROBE_PID=$!
    wait_for 5 test -e "$TEST_TMP/probe.ready" || fail "probe did not start"
}
