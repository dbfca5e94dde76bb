#!/bin/bash
# Active-active: two VRRP instances (VRIDs 51 and 52). dir1 is master of VIP1
# and backup of VIP2, dir2 the reverse; each VIP is an LVS-DR service over
# both real servers. Killing one director leaves the survivor with both
# VIPs; bringing it back returns each VIP home (preemption).
#
#   client 10.61.0.100 ──┬── dir1 10.61.0.1  master VI_1 (VIP1 10.61.0.201), backup VI_2
#                        ├── dir2 10.61.0.2  master VI_2 (VIP2 10.61.0.202), backup VI_1
#                        ├── rs1 10.61.0.11 ─┐ both VIPs on lo
#                        └── rs2 10.61.0.12 ─┘
AA_VIP1=10.61.0.201
AA_VIP2=10.61.0.202

aa_config() { # DIR PRIO_VI1 PRIO_VI2
    local f=$LAB_TMP/aa-dir$1.yaml vip
    cat > "$f" <<YAML
global:
  router_id: dir$1
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: $2
      advert_interval: 1s
      virtual_addresses: [$AA_VIP1/32]
    VI_2:
      interface: eth0
      virtual_router_id: 52
      priority: $3
      advert_interval: 1s
      virtual_addresses: [$AA_VIP2/32]
virtual_servers:
YAML
    for vip in $AA_VIP1 $AA_VIP2; do
        cat >> "$f" <<YAML
  - address: $vip
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: dr
    delay_loop: 2s
    real_servers:
      - {address: 10.61.0.11, port: 80, check: {type: tcp, connect_timeout: 1s}}
      - {address: 10.61.0.12, port: 80, check: {type: tcp, connect_timeout: 1s}}
YAML
    done
}
aa_start() { # DIR
    lab_daemon dir$1 dir$1 aa-checkerd-dir$1 "$CHECKERD" -c "$LAB_TMP/aa-dir$1.yaml"
    lab_daemon dir$1 dir$1 aa-ipvsd-dir$1 "$IPVSD" -c "$LAB_TMP/aa-dir$1.yaml"
    lab_daemon dir$1 dir$1 aa-vrrpd-dir$1 "$VRRPD" -c "$LAB_TMP/aa-dir$1.yaml"
}
aa_kill() { # DIR: every vigil daemon of the director, kill -9
    local d v
    for d in vrrpd ipvsd checkerd; do v="PID_aa_${d}_dir$1"; kill -9 "${!v}" 2>/dev/null; done
}
# aa_owner VIP: which director answers ARP for it
aa_owner() {
    local macs out=""
    macs=$(who_answers client eth0 "$1")
    grep -q "$AA_MAC1" <<<"$macs" && out=dir1
    grep -q "$AA_MAC2" <<<"$macs" && out=${out:+$out+}dir2
    echo "${out:-none}"
}
aa_owners_are() { [ "$(aa_owner $AA_VIP1)" = "$1" ] && [ "$(aa_owner $AA_VIP2)" = "$2" ]; }
aa_serves() { # VIP: a request through the VIP is answered by a real server
    local b; b=$(fetch client "http://$1/")
    [ "$b" = rs1 ] || [ "$b" = rs2 ]
}

lab_active_active() {
    lab_begin active-active "two VRRP instances, each director master of one VIP"
    lab_switch
    lab_bridge lan
    lab_host client; lab_plug client eth0 lan 10.61.0.100/24
    local i
    for i in 1 2; do lab_host dir$i; lab_plug dir$i eth0 lan 10.61.0.$i/24; done
    for i in 1 2; do
        lab_host rs$i; lab_plug rs$i eth0 lan 10.61.0.1$i/24
        on rs$i env VIGIL_REALSERVER_STATE="$LAB_TMP/aa-rs$i.state" "$VIGILCTL" realserver setup --mode dr $AA_VIP1 $AA_VIP2 >/dev/null 2>&1 ||
            fail "rs$i realserver setup"
        lab_httpd rs$i 80 rs$i
    done
    AA_MAC1=$(mac_of dir1 eth0); AA_MAC2=$(mac_of dir2 eth0)
    aa_config 1 100 50
    aa_config 2 50 100
    lab_bus dir1; lab_bus dir2
    aa_start 1; aa_start 2

    if wait_until 90 aa_owners_are dir1 dir2; then
        pass "VIP1 on dir1, VIP2 on dir2 (each answered by one director only)"
    else
        fail "each director master of one VIP" "VIP1: $(aa_owner $AA_VIP1), VIP2: $(aa_owner $AA_VIP2)"
    fi
    if wait_until 60 aa_serves $AA_VIP1 && wait_until 60 aa_serves $AA_VIP2; then
        pass "both VIPs serve HTTP through their director"
    else
        fail "both VIPs serve HTTP"
    fi

    local t0; t0=$(now_ms)
    aa_kill 1
    if wait_until 60 aa_owners_are dir2 dir2; then
        pass "dir1 killed: dir2 holds both VIPs" "$(( $(now_ms) - t0 )) ms"
    else
        fail "dir1 killed: dir2 holds both VIPs" "VIP1: $(aa_owner $AA_VIP1), VIP2: $(aa_owner $AA_VIP2)"
    fi
    if wait_until 10 aa_serves $AA_VIP1; then pass "VIP1 still serves HTTP, now through dir2"; else fail "VIP1 serves through dir2"; fi

    t0=$(now_ms)
    aa_start 1
    if wait_until 90 aa_owners_are dir1 dir2; then
        pass "dir1 back: each VIP returned home" "$(( $(now_ms) - t0 )) ms"
    else
        fail "dir1 back: each VIP returned home" "VIP1: $(aa_owner $AA_VIP1), VIP2: $(aa_owner $AA_VIP2)"
    fi
    if wait_until 10 aa_serves $AA_VIP1 && wait_until 10 aa_serves $AA_VIP2; then pass "both VIPs serve HTTP again"; else fail "both VIPs serve after recovery"; fi
    lab_cleanup
}
