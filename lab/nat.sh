#!/bin/bash
# LVS-NAT: the client net (192.168.100.0/24) and a private real-server net
# (10.10.10.0/24). The director forwards and masquerades; the real servers
# route back through its DIP. Port mapping VIP:80 → RS:8080.
#
#   client 192.168.100.2 ──[pub]── 192.168.100.1 director 10.10.10.1 ──[priv]── rs1 10.10.10.11:8080
#                          VIP 192.168.100.100:80                              └─ rs2 10.10.10.12:8080
lab_nat() {
    lab_begin nat "LVS-NAT with port mapping, rr then wrr 3:1"
    lab_switch
    lab_bridge pub
    lab_bridge priv
    lab_host client; lab_plug client eth0 pub 192.168.100.2/24
    on client ip route add default via 192.168.100.1
    lab_host dir
    lab_plug dir eth0 pub 192.168.100.1/24 192.168.100.100/32
    lab_plug dir eth1 priv 10.10.10.1/24
    on dir sysctl -qw net.ipv4.ip_forward=1
    local i
    for i in 1 2; do
        lab_host rs$i; lab_plug rs$i eth0 priv 10.10.10.1$i/24
        on rs$i ip route add default via 10.10.10.1
        lab_httpd rs$i 8080 rs$i
    done

    local cfg=$LAB_TMP/nat.yaml
    write_nat_config() { # SCHED W1 W2
        cat > "$cfg" <<YAML
virtual_servers:
  - address: 192.168.100.100
    port: 80
    protocol: tcp
    scheduler: $1
    forwarding: nat
    real_servers:
      - {address: 10.10.10.11, port: 8080, weight: $2}
      - {address: 10.10.10.12, port: 8080, weight: $3}
YAML
    }
    write_nat_config rr 1 1
    ipvsd_start dir "$cfg" || return
    local t; t=$(ipvs_table dir)
    info "director's table (ipvsadm -Ln):"; while read -r l; do info "  $l"; done <<<"$t"
    if grep -q "TCP  192.168.100.100:80 rr" <<<"$t" && [ "$(grep -c 'Masq' <<<"$t")" = 2 ]; then
        pass "IPVS holds VIP:80 rr → 2 real servers :8080 (Masq)"
    else
        fail "IPVS table as configured"
    fi

    local d; d=$(distribution client http://192.168.100.100/ 40)
    info "40 requests from the client: $d"
    if even_split "$d" rs1 rs2 40; then pass "rr spreads evenly (20:20)" "$d"; else fail "rr spreads evenly (20:20)" "$d"; fi

    write_nat_config wrr 3 1
    if ipvsd_reload dir >/dev/null 2>"$LAB_TMP/reload.err"; then pass "reload to wrr 3:1"; else fail "reload to wrr 3:1" "$(cat "$LAB_TMP/reload.err")"; fi
    t=$(ipvs_table dir)
    if grep -q "192.168.100.100:80 wrr" <<<"$t" && grep -q "10.10.10.11:8080 *Masq *3" <<<"$t"; then
        pass "kernel table now wrr with weights 3 and 1"
    else
        fail "kernel table now wrr with weights 3 and 1" "$(tr '\n' ' ' <<<"$t")"
    fi
    d=$(distribution client http://192.168.100.100/ 40)
    info "40 requests from the client: $d"
    local a b; a=$(count_of "$d" rs1); b=$(count_of "$d" rs2)
    # 3:1 exactly, give or take one request lost to an emulation hiccup
    if [ $((a + b)) -ge 39 ] && [ $((a - 3 * b)) -le 3 ] && [ $((3 * b - a)) -le 3 ]; then
        pass "wrr spreads 3:1 (30:10)" "$d"
    else
        fail "wrr spreads 3:1 (30:10)" "$d"
    fi
    lab_cleanup
}
