#!/bin/bash
# FULL-NAT: the real servers sit on a network the director only routes to;
# their router has no route back to the client net. forwarding: fullnat makes
# the director masquerade the destination AND source-NAT the client to its own
# address (snat_address), so answers come back to it. Each real server shows
# the client address it sees (a CGI page).
#
#   client 192.168.70.2 ──[pub]── director 192.168.70.1 / VIP .100
#                                 director 10.40.0.1 ──[mid]── router 10.40.0.254 / 10.50.0.254 ──[back]── rs1 10.50.0.11, rs2 10.50.0.12
lab_fullnat() {
    lab_begin fullnat "FULL-NAT: real servers without a route back to the client"
    lab_switch
    lab_bridge pub; lab_bridge mid; lab_bridge back
    lab_host client; lab_plug client eth0 pub 192.168.70.2/24
    on client ip route add default via 192.168.70.1
    lab_host dir; lab_plug dir eth0 pub 192.168.70.1/24 192.168.70.100/32; lab_plug dir eth1 mid 10.40.0.1/24
    on dir ip route add 10.50.0.0/24 via 10.40.0.254
    on dir sysctl -qw net.ipv4.ip_forward=1
    lab_host router; lab_plug router eth0 mid 10.40.0.254/24; lab_plug router eth1 back 10.50.0.254/24
    on router sysctl -qw net.ipv4.ip_forward=1
    local i
    for i in 1 2; do
        lab_host rs$i; lab_plug rs$i eth0 back 10.50.0.1$i/24
        on rs$i ip route add default via 10.50.0.254
        lab_httpd rs$i 8080 rs$i
        mkdir -p "$LAB_TMP/www-rs$i-8080/cgi-bin"
        printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "rs%s sees client $REMOTE_ADDR"\n' "$i" \
            > "$LAB_TMP/www-rs$i-8080/cgi-bin/who"
        chmod +x "$LAB_TMP/www-rs$i-8080/cgi-bin/who"
    done
    if [ -z "$(fetch client http://10.50.0.11:8080/)" ]; then
        pass "without the director's help the client cannot reach the real servers (no route back)"
    else
        fail "the real-server network should not route back to the client"
    fi

    local cfg=$LAB_TMP/fullnat.yaml
    cat > "$cfg" <<YAML
virtual_servers:
  - address: 192.168.70.100
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: fullnat
    snat_address: 10.40.0.1
    real_servers:
      - {address: 10.50.0.11, port: 8080, weight: 1}
      - {address: 10.50.0.12, port: 8080, weight: 1}
YAML
    ipvsd_start dir "$cfg" || return
    local nft; nft=$(on dir nft list table inet vigil_ipvs 2>&1)
    if grep -q "snat" <<<"$nft"; then pass "vigil's own nftables table inet vigil_ipvs holds the SNAT rule"; else fail "nft table inet vigil_ipvs" "$(tr '\n' ' ' <<<"$nft")"; fi
    local d; d=$(distribution client http://192.168.70.100/ 20)
    info "20 requests: $d"
    if even_split "$d" rs1 rs2 20; then pass "rr through FULL-NAT spreads evenly" "$d"; else fail "rr through FULL-NAT spreads evenly" "$d"; fi
    local who; who=$(fetch client http://192.168.70.100/cgi-bin/who 15)
    info "a real server says: $who"
    if grep -q "sees client.*\b10.40.0.1\b" <<<"$who"; then pass "the real server sees the director's SNAT address, not the client"; else fail "real server's view of the client" "$who"; fi
    lab_cleanup
}
