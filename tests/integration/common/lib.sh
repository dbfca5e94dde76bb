#!/bin/bash
# Shared fixtures for integration tests (bash). Source it:
#   . "${VIGIL_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}/tests/integration/common/lib.sh"
# It gives: a private dbus-daemon per test, network namespaces and veth pairs
# that are always torn down (trap), helpers to start the built daemons, and
# waiting/assertion helpers. Tests that need root skip with 77 only when not root.

set -o pipefail

VIGIL_SOURCE_ROOT=${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
VIGIL_BUILD_ROOT=${VIGIL_BUILD_ROOT:-$VIGIL_SOURCE_ROOT/build}
export VIGIL_SOURCE_ROOT VIGIL_BUILD_ROOT

VRRPD=$VIGIL_BUILD_ROOT/vrrpd/vigil-vrrpd
CHECKERD=$VIGIL_BUILD_ROOT/checkerd/vigil-checkerd
IPVSD=$VIGIL_BUILD_ROOT/ipvsd/vigil-ipvsd
VIGILCTL=$VIGIL_BUILD_ROOT/tools/vigilctl

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
TEST_TMP=$(mktemp -d "/tmp/vigil-test.${TEST_NAME}.XXXXXX")
# Short unique tag for namespace/interface names (IFNAMSIZ is 16).
TEST_TAG=${TEST_TAG:-$(printf '%04x' $(( ($$ + RANDOM) % 65536 )))}

_cleanup_cmds=()
cleanup_add() { _cleanup_cmds+=("$*"); }

_run_cleanup() {
    local rc=$?
    local i
    for (( i=${#_cleanup_cmds[@]}-1; i>=0; i-- )); do
        eval "${_cleanup_cmds[$i]}" >/dev/null 2>&1 || true
    done
    local ns
    if [ -f "$TEST_TMP/.netns" ]; then
        while read -r ns; do ip netns del "$ns" >/dev/null 2>&1 || true; done < "$TEST_TMP/.netns"
    fi
    if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -z "$KEEP_TEST_TMP" ]; then
        # show daemon logs of a failed test
        for f in "$TEST_TMP"/*.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 40 lines) ----" >&2
            tail -n 40 "$f" >&2
        done
    fi
    [ -n "$KEEP_TEST_TMP" ] || rm -rf "$TEST_TMP"
    exit $rc
}
trap _run_cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "# $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

require_root() {
    [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, raw sockets)"
}
require_cmd() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || fail "missing command '$c' (scripts/test installs it)"; done
}

# now_ns: CLOCK_REALTIME in ns without forking (bash 5; busybox date has no %N).
now_ns() { local t=${EPOCHREALTIME/./}; echo $(( t * 1000 )); }

# wait_for TIMEOUT_SECONDS CMD...: poll every 50 ms until CMD succeeds.
wait_for() {
    local timeout=$1; shift
    local deadline=$(( $(now_ns) + timeout * 1000000000 ))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(now_ns)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-assertion}: expected '$2', got '$1'"; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "${3:-assertion}: '$2' not found in: $1"; }

# ---- private bus -------------------------------------------------------

# bus_start: a private dbus-daemon with the project's policy plus a test
# policy that lets root own the vigil names. Exports DBUS_SYSTEM_BUS_ADDRESS
# so the daemons and busctl use it (busctl: use "$BUSCTL").
bus_start() {
    require_cmd dbus-daemon
    local conf=$TEST_TMP/bus.conf sock=$TEST_TMP/bus.sock
    chmod 755 "$TEST_TMP"   # unprivileged clients (setpriv --reuid=nobody) must reach the socket
    local policy_dir=$VIGIL_SOURCE_ROOT/dbus
    cat > "$conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  ${BUS_EXTRA_POLICY:-}
</busconfig>
XML
    [ -n "$BUS_USE_PROJECT_POLICY" ] && sed -i "s#<policy context=\"default\">#<includedir>$policy_dir/system.d</includedir>\n  <policy context=\"default\">#" "$conf"
    dbus-daemon --config-file="$conf" --nofork --print-address=3 3>"$TEST_TMP/bus.addr" >"$TEST_TMP/dbus.log" 2>&1 &
    local pid=$!
    cleanup_add "kill $pid"
    wait_for 5 test -s "$TEST_TMP/bus.addr" || fail "dbus-daemon did not start"
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$sock"
    BUS_PID=$pid
    BUSCTL="busctl --address=$DBUS_SYSTEM_BUS_ADDRESS"
}

# bus_has_name NAME: true when NAME is owned on the private bus.
bus_has_name() {
    $BUSCTL --list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"
}

# ---- daemons ------------------------------------------------------------

# daemon_start NAME BINARY ARGS...: starts a daemon in the background with
# console logging into $TEST_TMP/NAME.log; sets ${NAME}_PID. Use
# "ns_exec NS daemon_start ..." is not possible; use daemon_start_ns for that.
daemon_start() {
    local name=$1 bin=$2; shift 2
    [ -x "$bin" ] || fail "$bin not built"
    "$bin" --log-target=console --log-level=debug "$@" >"$TEST_TMP/$name.log" 2>&1 &
    local pid=$!
    eval "${name}_PID=$pid"
    cleanup_add "kill -9 $pid"
}
daemon_start_ns() {
    local ns=$1 name=$2 bin=$3; shift 3
    [ -x "$bin" ] || fail "$bin not built"
    ip netns exec "$ns" "$bin" --log-target=console --log-level=debug "$@" >"$TEST_TMP/$name.log" 2>&1 &
    local pid=$!
    eval "${name}_PID=$pid"
    cleanup_add "kill -9 $pid"
}

# ---- namespaces ---------------------------------------------------------

# netns_add NAME: creates namespace "vt$TEST_TAG-NAME" with lo up; prints its name.
netns_add() {
    local ns="vt${TEST_TAG}-$1"
    ip netns add "$ns" || fail "ip netns add $ns"
    # callers use NS=$(netns_add ...): a cleanup_add here would be lost with
    # the subshell, so the name goes to a file the exit trap reads
    echo "$ns" >> "$TEST_TMP/.netns"
    ip -n "$ns" link set lo up
    echo "$ns"
}
# veth_add NS1 IF1 NS2 IF2: a veth pair between two namespaces (NS "" = host), up.
veth_add() {
    local ns1=$1 if1=$2 ns2=$3 if2=$4
    local tmp1="v${TEST_TAG}a$RANDOM" tmp2="v${TEST_TAG}b$RANDOM"
    ip link add "${tmp1:0:15}" type veth peer name "${tmp2:0:15}" || fail "veth add"
    tmp1=${tmp1:0:15}; tmp2=${tmp2:0:15}
    if [ -n "$ns1" ]; then ip link set "$tmp1" netns "$ns1"; ip -n "$ns1" link set "$tmp1" name "$if1" up
    else ip link set "$tmp1" name "$if1" up; cleanup_add "ip link del $if1"; fi
    if [ -n "$ns2" ]; then ip link set "$tmp2" netns "$ns2"; ip -n "$ns2" link set "$tmp2" name "$if2" up
    else ip link set "$tmp2" name "$if2" up; fi
}
# bridge_lan NAME NS...: a bridge in its own namespace "vt$TAG-NAME" and one
# veth per NS, named eth0 inside each NS. Prints the bridge namespace.
bridge_lan() {
    local name=$1; shift
    local brns
    brns=$(netns_add "$name")
    ip -n "$brns" link add br0 type bridge || fail "bridge"
    ip -n "$brns" link set br0 up
    local i=0 ns
    for ns in "$@"; do
        veth_add "$ns" eth0 "$brns" "p$i"
        ip -n "$brns" link set "p$i" master br0
        i=$((i + 1))
    done
    echo "$brns"
}
