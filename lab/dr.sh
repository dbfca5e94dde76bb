#!/bin/bash
# LVS-DR: director and real servers on one LAN. The VIP is on the director's
# eth0 and on each real server's lo (vigilctl realserver setup --mode dr sets
# arp_ignore=1 / arp_announce=2 so only the director answers ARP for it).
# Answers go straight from the real server to the client: the director's
# IPVS counters show packets in and none out.
#
#   client 10.20.0.2 ──┬── director 10.20.0.1, VIP 10.20.0.100 (eth0)
#                      ├── rs1 10.20.0.11 (VIP on lo)
#                      └── rs2 10.20.0.12 (VIP on lo)
lab_dr() {
    lab_begin dr "LVS-DR: direct return; rr, sh, persistence"
    lab_switch
    lab_bridge lan
    lab_host client; lab_plug client eth0 lan 10.20.0.2/24
    lab_host dir; lab_plug dir eth0 lan 10.20.0.1/24 10.20.0.100/32
    local i
    for i in 1 2; do
        lab_host rs$i; lab_plug rs$i eth0 lan 10.20.0.1$i/24
        if on rs$i env VIGIL_REALSERVER_STATE="$LAB_TMP/rs$i.state" "$VIGILCTL" realserver setup --mode dr 10.20.0.100 \
                >"$LAB_TMP/rs$i-setup.log" 2>&1; then
            pass "rs$i prepared with 'vigilctl realserver setup --mode dr 10.20.0.100'"
        else
            fail "rs$i realserver setup" "$(tail -n 3 "$LAB_TMP/rs$i-setup.log" | tr '\n' ' ')"
        fi
        lab_httpd rs$i 80 rs$i
    done
    local arp
    arp=$(on rs1 sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce | tr '\n' ' ')
    info "rs1: VIP on lo: $(on rs1 ip -4 -o addr show dev lo | awk '{print $4}' | tr '\n' ' '); arp_ignore/arp_announce = $arp"

    # Only the director may answer ARP for the VIP.
    on client ip neigh flush dev eth0
    fetch client http://10.20.0.1/ >/dev/null || true
    local cfg=$LAB_TMP/dr.yaml
    write_dr_config() { # SCHED PERSISTENCE
        cat > "$cfg" <<YAML
virtual_servers:
  - address: 10.20.0.100
    port: 80
    protocol: tcp
    scheduler: $1
    forwarding: dr
    persistence: {timeout: $2}
    real_servers:
      - {address: 10.20.0.11, port: 80, weight: 1}
      - {address: 10.20.0.12, port: 80, weight: 1}
YAML
    }
    write_dr_config rr 0s
    ipvsd_start dir "$cfg" || return
    local t; t=$(ipvs_table dir)
    if grep -q "10.20.0.100:80 rr" <<<"$t" && [ "$(grep -c 'Route' <<<"$t")" = 2 ]; then
        pass "IPVS holds VIP:80 rr → 2 real servers (Route = DR)"
    else
        fail "IPVS table as configured" "$(tr '\n' ' ' <<<"$t")"
    fi

    local d; d=$(distribution client http://10.20.0.100/ 20)
    info "20 requests: $d"
    if even_split "$d" rs1 rs2 20; then pass "rr spreads evenly" "$d"; else fail "rr spreads evenly" "$d"; fi
    local mac_dir mac_seen
    mac_dir=$(on dir cat /sys/class/net/eth0/address)
    mac_seen=$(on client ip neigh show 10.20.0.100 | awk '{print $5}')
    if [ "$mac_seen" = "$mac_dir" ]; then pass "the client's ARP entry for the VIP is the director's MAC ($mac_dir)"; else fail "VIP resolves to the director" "got '$mac_seen', director $mac_dir"; fi

    # every answered request's connection counted on the director (see ipvs_stats)
    local conns inpkts outpkts n
    n=$(answered "$d")
    read -r conns inpkts outpkts <<<"$(ipvs_stats dir 10.20.0.100:80 "$n")"
    info "director's IPVS counters for the service: Conns=$conns InPkts=$inpkts OutPkts=$outpkts (read $(ipvs_stats_reads) times)"
    if [ "${conns:-0}" -ge "$n" ] && [ "${inpkts:-0}" -gt 0 ] && [ "${outpkts:-1}" = 0 ]; then
        pass "answers bypass the director (packets in: $inpkts, out: 0)"
    else
        fail "answers bypass the director" "conns=$conns (want >= $n) in=$inpkts out=$outpkts"
    fi

    write_dr_config sh 0s
    ipvsd_reload dir >/dev/null 2>&1 && pass "reload to sh (source hashing)" || fail "reload to sh"
    d=$(distribution client http://10.20.0.100/ 20)
    info "20 requests: $d"
    if [[ "$d" =~ ^rs[12]=20\ $ ]]; then pass "sh: the same client always reaches the same server"; else fail "sh sticks" "$d"; fi

    write_dr_config rr 60s
    ipvsd_reload dir >/dev/null 2>&1 && pass "reload to rr with persistence 60s" || fail "reload to persistence"
    t=$(ipvs_table dir)
    if grep -q "10.20.0.100:80 rr persistent 60" <<<"$t"; then pass "kernel: rr persistent 60"; else fail "kernel: rr persistent 60" "$(tr '\n' ' ' <<<"$t")"; fi
    d=$(distribution client http://10.20.0.100/ 20)
    info "20 requests: $d"
    if [[ "$d" =~ ^rs[12]=20\ $ ]]; then pass "persistence: the client stays on one server"; else fail "persistence sticks" "$d"; fi

    for i in 1 2; do
        on rs$i env VIGIL_REALSERVER_STATE="$LAB_TMP/rs$i.state" "$VIGILCTL" realserver teardown >/dev/null 2>&1
    done
    if ! on rs1 ip -4 addr show dev lo | grep -q 10.20.0.100 && [ "$(on rs1 sysctl -n net.ipv4.conf.all.arp_ignore)" = 0 ]; then
        pass "vigilctl realserver teardown restores lo and the ARP sysctls"
    else
        fail "realserver teardown"
    fi
    lab_cleanup
}
