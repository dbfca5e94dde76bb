#!/bin/sh
# Runs inside the guest (tests/vm/run tests/vm/selftest/guest-smoke.sh TREE ARG...).
# Checks: output streaming, the tree at the same path and as cwd, loopback,
# arguments, VM_PASS_ENV, writable virtiofs share, the exit status.
set -eu
tree=$1; shift
echo "guest: hello from $(uname -r)"
echo "guest: stderr line" >&2
fail() { echo "guest: FAIL: $*"; exit 1; }
[ "$(pwd -P)" = "$tree" ] || fail "cwd is $(pwd -P), want $tree"
[ -f "$tree/tests/vm/run" ] || fail "$tree/tests/vm/run not visible"
[ "$(id -u)" = 0 ] || fail "not root"
ip -o link show lo | grep -q 'UP' || fail "lo is not up"
ping -c1 -W2 127.0.0.1 >/dev/null || fail "cannot ping 127.0.0.1"
[ "$#" = 2 ] && [ "$1" = "two words" ] && [ "$2" = "it's" ] || fail "arguments: $*"
[ "${VIGIL_VM_SMOKE:-}" = "a b 'c'" ] || fail "VM_PASS_ENV: VIGIL_VM_SMOKE='${VIGIL_VM_SMOKE:-}'"
[ "${VIGIL_VM:-}" = 1 ] || fail "VIGIL_VM not set"
# the share is writable and reaches the host
echo "written by the guest" >"$VIGIL_VM_SMOKE_FILE" || fail "cannot write to the share"
for b in bash ip nft ipvsadm keepalived dbus-daemon busctl setpriv modprobe; do
	command -v $b >/dev/null || fail "$b missing"
done
getent passwd vigil-check >/dev/null || fail "no vigil-check user"
echo "guest: ok"
exit "${VIGIL_VM_SMOKE_RC:-0}"
