#!/bin/bash
# Runs under the guest's systemd (vigil-vm-test.service): the test script
# with its output on the vigil.out port, then its status on vigil.status,
# then power off.
. /vigil/run.sh
. /vigil/args.sh
port() {
	local p
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${p##*/}"; return 0; }
	done
	return 1
}
for ((i = 0; i < 500; i++)); do
	out=$(port vigil.out) && st=$(port vigil.status) && break
	sleep 0.02
done
cd "$VM_TREE"
rc=0
# a private copy: the tree is shared with the host, where the file may be
# edited while bash is still reading it
cp "$VM_SCRIPT" /tmp/vigil-vm-script && chmod +x /tmp/vigil-vm-script
/tmp/vigil-vm-script "${VM_ARGS[@]}" </dev/null >"$out" 2>&1 || rc=$?
up=$(cut -d' ' -f1 /proc/uptime)
sync
echo "$rc $up" >"$st"
systemctl poweroff --force --force
