#!/bin/bash
# LVS-TUN: the real servers live on another subnet; the director encapsulates
# (IPIP) to them, and they answer the client directly through the router,
# never through the director.
#
#   client 192.168.60.2 ──[lan]── director 192.168.60.1, VIP 192.168.60.100
#                          └───── router 192.168.60.254 ──[far]── rs1 10.30.0.11, rs2 10.30.0.12
#   director 10.30.0.1 ──[far]    (VIP on the real servers' tunl0)
lab_tun() {
    lab_begin tun "LVS-TUN: IPIP to real servers on another subnet"
    lab_switch
    lab_bridge lan
    lab_bridge far
    lab_host client; lab_plug client eth0 lan 192.168.60.2/24
    on client ip route add default via 192.168.60.254
    lab_host dir; lab_plug dir eth0 lan 192.168.60.1/24 192.168.60.100/32
    lab_plug dir eth1 far 10.30.0.1/24
    lab_host router; lab_plug router eth0 lan 192.168.60.254/24; lab_plug router eth1 far 10.30.0.254/24
    on router sysctl -qw net.ipv4.ip_forward=1
    local i
    for i in 1 2; do
        lab_host rs$i; lab_plug rs$i eth0 far 10.30.0.1$i/24
        on rs$i ip route add default via 10.30.0.254
        if on rs$i env VIGIL_REALSERVER_STATE="$LAB_TMP/rs$i.state" "$VIGILCTL" realserver setup --mode tun 192.168.60.100 \
                >"$LAB_TMP/rs$i-setup.log" 2>&1; then
            pass "rs$i prepared with 'vigilctl realserver setup --mode tun 192.168.60.100'"
        else
            fail "rs$i realserver setup" "$(tail -n 3 "$LAB_TMP/rs$i-setup.log" | tr '\n' ' ')"
        fi
        lab_httpd rs$i 80 rs$i
    done
    info "rs1: $(on rs1 ip -4 -o addr show dev tunl0 | awk '{print $2, $4}'), rp_filter(tunl0)=$(on rs1 sysctl -n net.ipv4.conf.tunl0.rp_filter)"

    local cfg=$LAB_TMP/tun.yaml
    cat > "$cfg" <<YAML
virtual_servers:
  - address: 192.168.60.100
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: tun
    real_servers:
      - {address: 10.30.0.11, port: 80, weight: 1}
      - {address: 10.30.0.12, port: 80, weight: 1}
YAML
    ipvsd_start dir "$cfg" || return
    local t; t=$(ipvs_table dir)
    if [ "$(grep -c 'Tunnel' <<<"$t")" = 2 ]; then pass "IPVS holds VIP:80 → 2 real servers (Tunnel)"; else fail "IPVS table" "$(tr '\n' ' ' <<<"$t")"; fi

    local fwd_before fwd_after
    fwd_before=$(on router cat /sys/class/net/eth0/statistics/tx_packets)
    local d; d=$(distribution client http://192.168.60.100/ 20)
    fwd_after=$(on router cat /sys/class/net/eth0/statistics/tx_packets)
    info "20 requests: $d"
    if even_split "$d" rs1 rs2 20; then pass "rr over IPIP spreads evenly" "$d"; else fail "rr over IPIP spreads evenly" "$d"; fi
    # every answered request's connection counted on the director (see ipvs_stats)
    local conns inpkts outpkts n
    n=$(answered "$d")
    read -r conns inpkts outpkts <<<"$(ipvs_stats dir 192.168.60.100:80 "$n")"
    info "director IPVS counters: Conns=$conns InPkts=$inpkts OutPkts=$outpkts (read $(ipvs_stats_reads) times); router forwarded $((fwd_after - fwd_before)) packets to the client net"
    if [ "${conns:-0}" -ge "$n" ] && [ "${inpkts:-0}" -gt 0 ] && [ "${outpkts:-1}" = 0 ] && [ $((fwd_after - fwd_before)) -ge 20 ]; then
        pass "answers go from the real servers through the router, not the director"
    else
        fail "answers bypass the director" "conns=$conns (want >= $n) in=$inpkts out=$outpkts router=$((fwd_after - fwd_before))"
    fi
    for i in 1 2; do
        on rs$i env VIGIL_REALSERVER_STATE="$LAB_TMP/rs$i.state" "$VIGILCTL" realserver teardown >/dev/null 2>&1
    done
    lab_cleanup
}
