#!/bin/bash
# The three daemons as processes (issue "Foundation"): each starts on a
# private system bus, owns its name and Manager object, answers Version,
# reloads on SIGHUP and on Reload(), refuses a broken reload while keeping
# its running config (the D-Bus error carries file:line:col), denies Reload()
# to an unprivileged caller, and exits cleanly (status 0) on SIGTERM.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd busctl dbus-daemon setpriv
bus_start

ns=$(netns_add d)
veth_add "$ns" eth0 "$ns" eth1   # (no dummy module on every host)
ip -n "$ns" addr add 10.99.0.1/24 dev eth0

cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<'YAML'
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: 100
      virtual_addresses: [10.99.0.100/32]
checks:
  chk_true: {type: exec, command: [/bin/true], interval: 1s}
virtual_servers:
  - address: 10.99.0.100
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: dr
    real_servers:
      - {address: 10.99.0.11, port: 80}
YAML

declare -A BIN=([vrrpd]=$VRRPD [checkerd]=$CHECKERD [ipvsd]=$IPVSD)
declare -A NAME=([vrrpd]=org.vigil.Vrrp1 [checkerd]=org.vigil.Checker1 [ipvsd]=org.vigil.Ipvs1)
declare -A OBJ=([vrrpd]=/org/vigil/Vrrp1 [checkerd]=/org/vigil/Checker1 [ipvsd]=/org/vigil/Ipvs1)

for d in vrrpd checkerd ipvsd; do
    [ -x "${BIN[$d]}" ] || fail "${BIN[$d]} is not built"
    # --check-config on the good file and on a broken one
    "${BIN[$d]}" -c "$cfg" --check-config >/dev/null 2>&1 || fail "$d --check-config rejects a valid file"
    printf 'vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 999\n      virtual_addresses: [10.99.0.100/32]\n' > "$TEST_TMP/bad.yaml"
    out=$("${BIN[$d]}" -c "$TEST_TMP/bad.yaml" --check-config 2>&1) && fail "$d --check-config accepts a broken file"
    assert_contains "$out" "bad.yaml:5:26: error: virtual_router_id: 999 is out of range" "$d --check-config message"
done

# ipvsd needs IPVS in the kernel. Without it (this host), it must refuse to
# start with a clear message; the VM tier runs this same script where IPVS exists.
DAEMONS="checkerd vrrpd ipvsd"
if [ ! -e /proc/net/ip_vs ] && ! modprobe -q ip_vs 2>/dev/null; then
    DAEMONS="checkerd vrrpd"
    out=$(VIGIL_STATE_DIR=$TEST_TMP/state-x ip netns exec "$ns" "$IPVSD" -c "$cfg" --log-target=console 2>&1) &&
        fail "ipvsd started without IPVS in the kernel"
    assert_contains "$out" "IPVS is not available in this kernel" "ipvsd without ip_vs"
    log "no IPVS here: ipvsd refused to start with a clear message; the full check runs in the VM tier"
fi
for d in $DAEMONS; do
    VIGIL_STATE_DIR=$TEST_TMP/state-$d daemon_start_ns "$ns" "$d" "${BIN[$d]}" -c "$cfg"
done
for d in $DAEMONS; do
    wait_for 15 bus_has_name "${NAME[$d]}" || fail "$d did not acquire ${NAME[$d]}"
    v=$($BUSCTL get-property "${NAME[$d]}" "${OBJ[$d]}" "${NAME[$d]}.Manager" Version) || fail "$d Version"
    assert_contains "$v" 's "' "$d Version property"
    tree=$($BUSCTL tree --list "${NAME[$d]}") || fail "$d busctl tree"
    assert_contains "$tree" "${OBJ[$d]}" "$d object tree"
done

for d in $DAEMONS; do
    pidvar=${d}_PID
    pid=${!pidvar}
    # SIGHUP reload
    kill -HUP "$pid"
    wait_for 10 grep -q "Configuration reloaded" "$TEST_TMP/$d.log" || fail "$d did not reload on SIGHUP"
    # Reload() over the bus
    $BUSCTL call "${NAME[$d]}" "${OBJ[$d]}" "${NAME[$d]}.Manager" Reload || fail "$d Reload() failed"
    [ "$(grep -c "Configuration reloaded" "$TEST_TMP/$d.log")" -ge 2 ] || fail "$d Reload() did not reload"
    # Unprivileged caller: AccessDenied
    out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" \
          call "${NAME[$d]}" "${OBJ[$d]}" "${NAME[$d]}.Manager" Reload 2>&1) && fail "$d allowed Reload() to nobody"
    assert_contains "$out" "Access denied" "$d denies nobody"
    # ...by the daemon's own credential check (the test bus policy allows everything)
    grep -q "Denied ${NAME[$d]}.Manager.Reload() to uid $(id -u nobody)" "$TEST_TMP/$d.log" || fail "$d did not check the caller itself"
    # ...but nobody can read
    setpriv --reuid=nobody --regid=nogroup --clear-groups busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" \
        get-property "${NAME[$d]}" "${OBJ[$d]}" "${NAME[$d]}.Manager" Version >/dev/null || fail "$d: nobody cannot read Version"
done

# A broken file on reload: refused with locations, running config kept.
cp "$cfg" "$TEST_TMP/good.yaml"
printf 'vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 51\n      priority: 0\n      virtual_addresses: [10.99.0.100/32]\n' > "$cfg"
for d in $DAEMONS; do
    out=$($BUSCTL call "${NAME[$d]}" "${OBJ[$d]}" "${NAME[$d]}.Manager" Reload 2>&1) && fail "$d accepted a broken reload"
    assert_contains "$out" "vigil.yaml:6:" "$d reload error names file:line"
    pidvar=${d}_PID
    kill -0 "${!pidvar}" 2>/dev/null || fail "$d died on a broken reload"
    wait_for 10 bus_has_name "${NAME[$d]}" || fail "$d lost its bus name on a broken reload"
done
cp "$TEST_TMP/good.yaml" "$cfg"

# SIGTERM: clean exit, status 0, name released.
for d in $DAEMONS; do
    pidvar=${d}_PID
    pid=${!pidvar}
    kill -TERM "$pid"
    rc=0; wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "$d exited with status $rc on SIGTERM"
    bus_has_name "${NAME[$d]}" && fail "$d still owns its name after exit"
done
echo ok
