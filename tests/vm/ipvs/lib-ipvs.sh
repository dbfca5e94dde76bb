#!/bin/bash
# Shared setup for the IPVS VM tests (run in the guest by tests/vm/run).
# Sources the integration fixtures, then adds what the IPVS tests need.
VIGIL_SOURCE_ROOT=${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
# tests/vm/run exports VM_BUILD_DIR (the build tree the guest image was made from)
VIGIL_BUILD_ROOT=${VIGIL_BUILD_ROOT:-${VM_BUILD_DIR:-$VIGIL_SOURCE_ROOT/build}}
. "$VIGIL_SOURCE_ROOT/tests/integration/common/lib.sh"

# The guest's date is busybox's (no %N): poll by count instead of by clock.
wait_for() {
    local timeout=$1; shift
    local i n=$(( timeout * 20 ))
    for (( i = 0; i < n; i++ )); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

require_root
command -v ipvsadm >/dev/null || skip "ipvsadm missing in the guest"
modprobe ip_vs 2>/dev/null
[ -d /proc/net/ip_vs ] || [ -e /proc/net/ip_vs ] || skip "no ip_vs in this kernel (run under tests/vm/run)"
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh; do modprobe "ip_vs_$s" 2>/dev/null; done

# A director address and routes so DR/TUN destinations are "unicast" for the kernel.
ipvs_net_setup() {
    ip link add vdir0 type dummy 2>/dev/null
    ip link set vdir0 up
    ip addr add 10.1.0.1/24 dev vdir0 2>/dev/null
    ip -6 addr add 2001:db8::2/64 dev vdir0 nodad 2>/dev/null
    ip route add 10.2.0.0/24 dev lo 2>/dev/null
    ip -6 route add 2001:db8:2::/64 dev lo 2>/dev/null
    cleanup_add "ip link del vdir0"
    cleanup_add "ipvsadm -C"
}

ipvs_call() { $BUSCTL --timeout=60 call org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager "$@"; }

# Sorted `ipvsadm -Sn` (kernel hash order is not stable).
save_sorted() { ipvsadm -Sn | sort; }

start_ipvsd() { # CONFIG [extra args]
    local cfg=$1; shift
    daemon_start ipvsd "$IPVSD" -c "$cfg" --state-dir "$TEST_TMP/state" "$@"
    local i
    for (( i = 0; i < 1200; i++ )); do
        bus_has_name org.vigil.Ipvs1 && return 0
        kill -0 "$ipvsd_PID" 2>/dev/null || { cat "$TEST_TMP/ipvsd.log" >&2; fail "ipvsd exited during startup"; }
        sleep 0.05
    done
    cat "$TEST_TMP/ipvsd.log" >&2
    fail "ipvsd did not take its bus name"
}

stop_ipvsd() {
    kill "$ipvsd_PID" 2>/dev/null
    local i
    for (( i = 0; i < 200; i++ )); do kill -0 "$ipvsd_PID" 2>/dev/null || return 0; sleep 0.05; done
    fail "ipvsd did not stop"
}
