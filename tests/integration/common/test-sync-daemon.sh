#!/bin/bash
# VRRP → IPVS (runs in the VM tier): with ipvs.sync_daemon.instance, ipvsd runs
# the kernel's connection sync daemon as master while that VRRP instance is
# master, and as backup once it is not (here: vrrpd stops), so connections
# survive a failover.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ipvsadm
[ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null || skip "no IPVS in this kernel (the vm suite runs this test)"
bus_start
ns=$(netns_add s)
veth_add "$ns" eth0 "$ns" eth1
ip -n "$ns" addr add 10.96.0.1/24 dev eth0
cfg=$TEST_TMP/vigil.yaml
cat > "$cfg" <<'YAML'
vrrp:
  instances:
    VI_S:
      interface: eth0
      virtual_router_id: 71
      priority: 100
      version: 3
      advert_interval: 100ms
      virtual_addresses: [10.96.0.100/32]
ipvs:
  sync_daemon: {instance: VI_S, interface: eth0, sync_id: 71}
virtual_servers:
  - {address: 10.96.0.100, port: 80, protocol: tcp, scheduler: rr, forwarding: dr,
     real_servers: [{address: 10.96.0.11, port: 80}]}
YAML
daemons() { ip netns exec "$ns" ipvsadm -L --daemon 2>/dev/null; }
has_role() { daemons | grep -q "$1 sync daemon"; }

VIGIL_STATE_DIR=$TEST_TMP/state daemon_start_ns "$ns" ipvsd "$IPVSD" -c "$cfg"
wait_for 30 bus_has_name org.vigil.Ipvs1 || fail "ipvsd did not start"
daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$cfg"
wait_for 30 has_role master || fail "no master sync daemon while VI_S is master: $(daemons)"
daemons | grep -q "mcast=eth0, syncid=71" || fail "sync daemon parameters: $(daemons)"
log "VI_S master → $(daemons | head -1)"

kill -TERM "$vrrpd_PID"
wait_for 30 has_role backup || fail "no backup sync daemon after vrrpd left: $(daemons)"
has_role master && fail "master sync daemon still running after leaving MASTER: $(daemons)"
log "vrrpd gone → $(daemons | head -1)"
echo ok
