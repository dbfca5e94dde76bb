#!/bin/bash
# The shipped bus policy (dbus/system.d/*.conf) on a dbus-daemon configured
# like the system bus (deny by default), with the vigil users created in a
# private mount namespace (bind-mounted /etc/passwd and /etc/group copies:
# the host's user database is not touched). Stand-ins (bus-echo) own the
# names and answer every call, so any refusal comes from the policy alone.
# DESIGN.md §6: each daemon owns only its name as its user; reading is open
# to all; mutating methods only for root and group vigil-admin; vigil-vrrp
# may call Checker1.RunFence and FenceAgent1.Fence/Release.
set -e
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, setpriv)" >&2; exit 77; }
if [ -z "${VIGIL_POLICY_NS:-}" ]; then
    exec env VIGIL_POLICY_NS=1 unshare --mount --propagation private -- bash "$0" "$@"
fi
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_cmd dbus-daemon busctl setpriv
ECHO=$VIGIL_BUILD_ROOT/tests/integration/system/bus-echo
[ -x "$ECHO" ] || fail "$ECHO not built"
chmod 755 "$TEST_TMP"

# ---- users: vigil-* as sysusers.d/vigil.conf creates them, plus two callers
names='vigil-check|vigil-vrrp|vigil-fence|vigil-admin|vt-nobody|vt-admin'
grep -Ev "^($names):" /etc/passwd > "$TEST_TMP/passwd"
grep -Ev "^($names):" /etc/group > "$TEST_TMP/group"
cat >> "$TEST_TMP/passwd" <<P
vigil-check:x:64901:64901::/:/usr/sbin/nologin
vigil-vrrp:x:64902:64902::/:/usr/sbin/nologin
vigil-fence:x:64903:64903::/:/usr/sbin/nologin
vt-nobody:x:64904:64904::/:/usr/sbin/nologin
vt-admin:x:64905:64905::/:/usr/sbin/nologin
P
cat >> "$TEST_TMP/group" <<G
vigil-check:x:64901:
vigil-vrrp:x:64902:
vigil-fence:x:64903:
vt-nobody:x:64904:
vt-admin:x:64905:
vigil-admin:x:64910:vt-admin
G
chmod 644 "$TEST_TMP/passwd" "$TEST_TMP/group"
mount --bind "$TEST_TMP/passwd" /etc/passwd
mount --bind "$TEST_TMP/group" /etc/group
[ "$(id -u vigil-vrrp)" = 64902 ] || fail "user setup in the mount namespace"

# ---- a bus with the system bus's defaults and the shipped policy ----------
sock=$TEST_TMP/system_bus_socket
cat > "$TEST_TMP/bus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$sock</listen>
  <auth>EXTERNAL</auth>
  <!-- the default context of /usr/share/dbus-1/system.conf -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <includedir>$VIGIL_SOURCE_ROOT/dbus/system.d</includedir>
</busconfig>
XML
dbus-daemon --config-file="$TEST_TMP/bus.conf" --nofork --print-address=3 3>"$TEST_TMP/bus.addr" \
    >"$TEST_TMP/dbus.log" 2>&1 &
cleanup_add "kill $!"
wait_for 5 test -s "$TEST_TMP/bus.addr" || fail "dbus-daemon did not start"
chmod 666 "$sock"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$sock"
if grep -qi "unknown \(user\|group\)" "$TEST_TMP/dbus.log"; then
    fail "dbus-daemon did not resolve a user of the policy: $(cat "$TEST_TMP/dbus.log")"
fi

as() { # USER CMD...: run as USER with its groups from /etc/group
    local u=$1; shift
    if [ "$u" = root ]; then "$@"; else setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; fi
}

npass=0
ok() { npass=$((npass + 1)); echo "ok $npass - $*"; }

# ---- name ownership --------------------------------------------------------
own() { # USER NAME: starts a stand-in; 0 = it owns NAME, 3 = refused
    local out=$TEST_TMP/own.$1.$2
    # not through as(): $! would be a subshell, and killing it would leave
    # the stand-in running after the test
    if [ "$1" = root ]; then
        "$ECHO" "$2" >"$out" 2>&1 &
    else
        setpriv --reuid="$1" --regid="$1" --init-groups -- "$ECHO" "$2" >"$out" 2>&1 &
    fi
    local pid=$!
    cleanup_add "kill $pid"
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q "^owned $2" "$out" && return 0
        if ! kill -0 $pid 2>/dev/null; then
            local rc=0
            wait $pid || rc=$?
            [ $rc != 0 ] || rc=1
            return $rc
        fi
        sleep 0.05
    done
    fail "stand-in for $2 as $1 neither owned the name nor exited: $(cat "$out")"
}
own_refused() {
    local rc=0
    own "$1" "$2" || rc=$?
    [ $rc = 3 ] || fail "$1 owning $2: expected refusal (3), got $rc: $(cat "$TEST_TMP/own.$1.$2")"
    ok "$1 may not own $2"
}
own_allowed() {
    own "$1" "$2" || fail "$1 could not own $2: $(cat "$TEST_TMP/own.$1.$2")"
    ok "$1 owns $2"
}
own_refused vt-nobody org.vigil.Vrrp1
own_refused vigil-check org.vigil.Vrrp1
own_refused root org.vigil.Vrrp1
own_refused vigil-vrrp org.vigil.Checker1
own_refused vt-admin org.vigil.Ipvs1
own_refused vigil-vrrp org.vigil.FenceZk1
own_allowed vigil-vrrp org.vigil.Vrrp1
own_allowed vigil-check org.vigil.Checker1
own_allowed root org.vigil.Ipvs1
own_allowed vigil-fence org.vigil.FenceZk1

# ---- method calls ----------------------------------------------------------
call() { # USER DEST PATH IFACE MEMBER [SIG ARGS...]
    local u=$1; shift
    as "$u" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" --timeout=5 call "$@" >"$TEST_TMP/call.out" 2>&1
}
allowed() {
    call "$@" || fail "$1 calling $2 $4.$5 was refused: $(cat "$TEST_TMP/call.out")"
    ok "$1 may call $2 $4.$5"
}
denied() {
    if call "$@"; then fail "$1 calling $2 $4.$5 was allowed"; fi
    grep -qiE "access denied|rejected send message" "$TEST_TMP/call.out" ||
        fail "$1 calling $2 $4.$5 failed, but not by the policy: $(cat "$TEST_TMP/call.out")"
    ok "$1 may not call $2 $4.$5"
}
P=org.freedesktop.DBus.Properties
V=(org.vigil.Vrrp1 /org/vigil/Vrrp1)
VI=(org.vigil.Vrrp1 /org/vigil/Vrrp1/instance/VI_5f1)
C=(org.vigil.Checker1 /org/vigil/Checker1)
CC=(org.vigil.Checker1 /org/vigil/Checker1/check/1)
I=(org.vigil.Ipvs1 /org/vigil/Ipvs1)
F=(org.vigil.FenceZk1 /org/vigil/FenceZk1)

for u in vt-nobody vigil-check vigil-vrrp vigil-fence; do
    allowed $u "${V[@]}" $P Get ss org.vigil.Vrrp1.Manager Version
    allowed $u "${V[@]}" $P GetAll s org.vigil.Vrrp1.Manager
    allowed $u "${V[@]}" org.freedesktop.DBus.Introspectable Introspect
    allowed $u "${V[@]}" org.freedesktop.DBus.ObjectManager GetManagedObjects
    allowed $u "${V[@]}" org.vigil.Vrrp1.Manager ListInstances
    allowed $u "${C[@]}" org.vigil.Checker1.Manager ListChecks
    allowed $u "${I[@]}" org.vigil.Ipvs1.Manager ListServices
    allowed $u "${I[@]}" org.vigil.Ipvs1.Manager Dump
    allowed $u "${F[@]}" $P GetAll s org.vigil.FenceAgent1
    denied $u "${V[@]}" $P Set ssv org.vigil.Vrrp1.Manager Version s x
done
for u in vt-nobody vigil-check vigil-fence; do
    denied $u "${V[@]}" org.vigil.Vrrp1.Manager Reload
    denied $u "${VI[@]}" org.vigil.Vrrp1.Instance SetPriority u 50
    denied $u "${VI[@]}" org.vigil.Vrrp1.Instance Demote
    denied $u "${C[@]}" org.vigil.Checker1.Manager Reload
    denied $u "${C[@]}" org.vigil.Checker1.Manager RunFence s fence_peer
    denied $u "${CC[@]}" org.vigil.Checker1.Check RunNow
    denied $u "${I[@]}" org.vigil.Ipvs1.Manager Reload
    denied $u "${I[@]}" org.vigil.Ipvs1.Manager ZeroCounters
    denied $u "${I[@]}" org.vigil.Ipvs1.Manager SetWeight ssi tcp:10.0.0.1:80 10.0.0.2:80 0
    denied $u "${F[@]}" org.vigil.FenceAgent1 Fence ss VI_1 10.0.0.2
    denied $u "${F[@]}" org.vigil.FenceAgent1 Release s VI_1
done
# vrrpd's own user: fencing through checkerd and the agent, nothing else.
allowed vigil-vrrp "${C[@]}" org.vigil.Checker1.Manager RunFence s fence_peer
allowed vigil-vrrp "${F[@]}" org.vigil.FenceAgent1 Fence ss VI_1 10.0.0.2
allowed vigil-vrrp "${F[@]}" org.vigil.FenceAgent1 Release s VI_1
denied vigil-vrrp "${C[@]}" org.vigil.Checker1.Manager Reload
denied vigil-vrrp "${CC[@]}" org.vigil.Checker1.Check RunNow
denied vigil-vrrp "${I[@]}" org.vigil.Ipvs1.Manager SetWeight ssi tcp:10.0.0.1:80 10.0.0.2:80 0
# root and members of vigil-admin: everything.
for u in root vt-admin; do
    allowed $u "${V[@]}" org.vigil.Vrrp1.Manager Reload
    allowed $u "${VI[@]}" org.vigil.Vrrp1.Instance SetPriority u 50
    allowed $u "${VI[@]}" org.vigil.Vrrp1.Instance Demote
    allowed $u "${C[@]}" org.vigil.Checker1.Manager Reload
    allowed $u "${C[@]}" org.vigil.Checker1.Manager RunFence s fence_peer
    allowed $u "${CC[@]}" org.vigil.Checker1.Check RunNow
    allowed $u "${I[@]}" org.vigil.Ipvs1.Manager Reload
    allowed $u "${I[@]}" org.vigil.Ipvs1.Manager ZeroCounters
    allowed $u "${I[@]}" org.vigil.Ipvs1.Manager SetWeight ssi tcp:10.0.0.1:80 10.0.0.2:80 0
    allowed $u "${F[@]}" org.vigil.FenceAgent1 Fence ss VI_1 10.0.0.2
done
echo "# $npass policy assertions passed"
