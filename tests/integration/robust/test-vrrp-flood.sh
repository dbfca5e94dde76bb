#!/bin/bash
# Hostile VRRP input: tests/tools/vrrp-flood throws random and near-valid
# adverts (bad checksum, version, type, TTL/hop limit, VRID, truncated, bad
# address count, wrong address, v2 wrong password and auth type, IPv6
# variants) at vrrpd as fast as this machine sends them, first while it is
# master of its three instances, then while it is backup of a real master.
# Every packet is accounted for: what vrrpd counted (bus Counters) plus what
# the kernel dropped on the way (raw socket drops in /proc/net/raw{,6}, veth
# drops) equals what the flooder sent. No state changes (no StateChanged),
# timers keep running, log lines stay rate-limited. It prints the rate, the
# drops and vrrpd's CPU use (figures in docs/robustness.md).
#   FLOOD_SECONDS (default 3.5 per flood, 3 floods per phase), FLOOD_RATE (0 = max)
. "$VIGIL_SOURCE_ROOT/tests/integration/vrrp/vrrp-lib.sh"

FLOOD=$VIGIL_BUILD_ROOT/tests/tools/vrrp-flood
[ -x "$FLOOD" ] || fail "$FLOOD not built"
FLOOD_SECONDS=${FLOOD_SECONDS:-3.5}
FLOOD_RATE=${FLOOD_RATE:-0}

bus_start
NS[n1]=$(netns_add n1)
NS[f]=$(netns_add f)
veth_add "${NS[n1]}" eth0 "${NS[f]}" eth0
veth_add "${NS[n1]}" eth1 "${NS[f]}" eth1
for n in n1 f; do
    ip netns exec "${NS[$n]}" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "${NS[n1]}" addr add 10.78.0.1/24 dev eth0
ip -n "${NS[n1]}" addr add 10.78.1.1/24 dev eth1
ip -n "${NS[f]}" addr add 10.78.0.2/24 dev eth0
ip -n "${NS[f]}" addr add 10.78.1.2/24 dev eth1
for n in n1 f; do
    wait_for 5 sh -c "ip -n ${NS[$n]} -6 addr show dev eth0 scope link | grep -q fe80" || fail "no link-local on $n"
done

# VI_4: VRRPv3/IPv4 on eth0; VI_2: VRRPv2 with a password on eth1; VI_6:
# VRRPv3/IPv6 on eth0. One raw socket each, each flood reaches one of them.
# Adverts every 2 s: a backup's master-down time (3 x 2 s + skew) is longer
# than one flood, so adverts the kernel drops during a flood (counted as
# "real adverts lost") cannot make the backup take over within this test.
conf() { # FILE PRIORITY
    cat > "$1" <<YAML
vrrp:
  instances:
    VI_4:
      interface: eth0
      virtual_router_id: 51
      priority: $2
      advert_interval: 2s
      virtual_addresses: [10.78.0.50/24]
    VI_2:
      interface: eth1
      virtual_router_id: 52
      version: 2
      priority: $2
      advert_interval: 2s
      authentication: {type: pass, password: "1111"}
      virtual_addresses: [10.78.1.50/24]
    VI_6:
      interface: eth0
      virtual_router_id: 53
      priority: $2
      advert_interval: 2s
      virtual_addresses: [fd78::50/64]
YAML
}
conf "$TEST_TMP/n1.yaml" 100
conf "$TEST_TMP/f.yaml" 200

monitor_start "$TEST_TMP/signals.txt"
node_start n1 "$TEST_TMP/n1.yaml"
for i in VI_4 VI_2 VI_6; do wait_state n1 "$i" master 10; done

# Instance paths, looked up once (inst_path costs a bus call)
declare -A PATHS
for i in VI_4 VI_2 VI_6; do PATHS[n1/$i]=$(inst_path n1 "$i"); done
counters() { # NODE INSTANCE: "name value" lines
    $BUSCTL get-property "org.vigil.Vrrp1.$1" "${PATHS[$1/$2]}" org.vigil.Vrrp1.Instance Counters |
        tr -d '"' | tr ' ' '\n' | tail -n +3 | paste - -
}
# every rx_* counter but rx_adverts/rx_priority_zero (the flood never sends a
# valid advert: all it sends must land in these)
rx_sum() { awk '$1 ~ /^rx_/ && $1 != "rx_adverts" && $1 != "rx_priority_zero" { s += $2 } END { print s + 0 }' "$1"; }
get() { awk -v c="$2" '$1 == c { print $2 }' "$1"; } # FILE COUNTER
# raw socket drops in n1, IPv4 or IPv6 (the last column of /proc/net/raw{,6}, protocol 112 = 0x70)
raw_drops() { ip netns exec "${NS[n1]}" cat "/proc/net/$1" | awk 'NR > 1 && $2 ~ /:0070$/ { s += $NF } END { print s + 0 }'; }
# link drops on the way: what the flooder's veth could not hand over, what n1's end dropped
link_drops() { # IFACE
    local a b
    a=$(ip netns exec "${NS[f]}" cat "/sys/class/net/$1/statistics/tx_dropped")
    b=$(ip netns exec "${NS[n1]}" cat "/sys/class/net/$1/statistics/rx_dropped")
    echo $((a + b))
}
# snapshot FILE INSTANCE IFACE PROC: n1's counters, the real master's
# tx_adverts (node f, 0 while it is not running) and the kernel's drops, taken
# back to back so that at most one real advert can fall between them
snapshot() {
    local real=0
    [ -n "${PATHS[f/$2]}" ] && real=$(counters f "$2" | awk '$1 == "tx_adverts" { print $2 }')
    counters n1 "$2" > "$1"
    { echo "real $real"; echo "raw_drops $(raw_drops "$4")"; echo "link_drops $(link_drops "$3")"; } >> "$1"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
signals() { grep -c 'Member=StateChanged' "$TEST_TMP/signals.txt"; }
pid=$(node_pid n1)
HZ=$(getconf CLK_TCK)

# flood PHASE INSTANCE IFACE FAMILY ARGS...: one flood, accounted for
flood() {
    local phase=$1 inst=$2 ifc=$3 fam=$4; shift 4
    local proc=raw; [ "$fam" = 6 ] && proc=raw6
    local B=$TEST_TMP/before A=$TEST_TMP/after
    local t0 s0 lines0 out sent t1 lines1 counted drops ldrops el cpu lost diff
    lines0=$(wc -l < "$TEST_TMP/vrrpd_n1.log"); s0=$(signals)
    snapshot "$B" "$inst" "$ifc" "$proc"
    t0=$(cpu_ticks "$pid")
    out=$(ip netns exec "${NS[f]}" "$FLOOD" --iface "$ifc" --family "$fam" --rate "$FLOOD_RATE" \
              --duration "$FLOOD_SECONDS" --seed "$RANDOM" "$@") || fail "vrrp-flood failed: $out"
    t1=$(cpu_ticks "$pid")
    sent=$(awk '$1 == "sent" { print $2 }' <<<"$out")
    el=$(awk '$1 == "sent" { print $4 }' <<<"$out")
    [ "$sent" -gt 1000 ] || fail "$phase/$inst: the flooder sent only $sent packets: $out"
    # vrrpd reads its backlog after the flood stops: wait until all is counted (or dropped)
    local c0 d0 l0
    c0=$(rx_sum "$B"); d0=$(get "$B" raw_drops); l0=$(get "$B" link_drops)
    wait_for 20 eval '[ $(( $(counters n1 '"$inst"' > "$A"; rx_sum "$A") - c0 + $(raw_drops '"$proc"') - d0 + $(link_drops '"$ifc"') - l0 )) -ge '"$sent"' ]' || true
    snapshot "$A" "$inst" "$ifc" "$proc"
    lines1=$(wc -l < "$TEST_TMP/vrrpd_n1.log")
    counted=$(( $(rx_sum "$A") - c0 )); drops=$(( $(get "$A" raw_drops) - d0 )); ldrops=$(( $(get "$A" link_drops) - l0 ))
    cpu=$(( (t1 - t0) * 100 * 1000 / HZ / ${el%.*} ))
    # a real master's adverts the kernel dropped are in the socket drops too
    # (sent by it, not in n1's rx_adverts)
    lost=$(( $(get "$A" real) - $(get "$B" real) - ($(get "$A" rx_adverts) - $(get "$B" rx_adverts)) ))
    log "$phase $inst: sent $sent in ${el} ms ($(awk '$1 == "sent" { print $6 }' <<<"$out") pkt/s, send errors $(awk '$1 == "sent" { print $8 }' <<<"$out")); counted by vrrpd $counted, raw socket drops $drops, link drops $ldrops, real adverts lost $lost; vrrpd CPU ${cpu}%; log lines +$((lines1 - lines0)); adverts sent during it +$(( $(get "$A" tx_adverts) - $(get "$B" tx_adverts) ))"
    echo "$phase $inst $sent $el $counted $drops $ldrops $lost $cpu $((lines1 - lines0))" >> "$TEST_TMP/figures.txt"
    diff=$(( counted + drops + ldrops - lost - sent ))
    # backup: an advert of the real master in flight while a snapshot is
    # taken is the one packet of slack (the two daemons are read apart)
    [ "$phase" = backup ] && [ "${diff#-}" -le 1 ] ||
        assert_eq "$((counted + drops + ldrops - lost))" "$sent" "$phase/$inst: counted + kernel drops (- real adverts lost: $lost) vs sent"
    # per kind (when nothing was dropped): each counter moved by what its
    # kinds sent, plus at most the random packets (they land anywhere)
    if [ "$drops" = 0 ] && [ "$ldrops" = 0 ]; then
        local random ctr expect got
        log "$phase $inst: nothing dropped: checking each counter against its kinds"
        random=$(awk '$1 == "kind" && $2 == "random" { print $3 + 0 }' <<<"$out"); random=${random:-0}
        for ctr in $(awk '$1 == "kind" && $4 != "?" { print $4 }' <<<"$out" | sort -u); do
            expect=$(awk -v c="$ctr" '$1 == "kind" && $4 == c { s += $3 } END { print s + 0 }' <<<"$out")
            got=$(( $(get "$A" "$ctr") - $(get "$B" "$ctr") ))
            [ "$got" -ge "$expect" ] && [ "$got" -le $((expect + random)) ] ||
                fail "$phase/$inst: counter $ctr moved by $got, its kinds sent $expect (+ up to $random random)"
        done
    fi
    assert_eq "$(( $(signals) - s0 ))" 0 "$phase/$inst: StateChanged signals during the flood"
    # rate-limited: 20 lines per 10 s per instance, plus the "suppressed" notes
    [ $((lines1 - lines0)) -le 60 ] || fail "$phase/$inst: $((lines1 - lines0)) log lines during the flood: not rate-limited"
}

phase_floods() { # PHASE
    flood "$1" VI_4 eth0 4 --vrid 51 --version 3 --interval-cs 200 --addr 10.78.0.50 --src 10.78.0.99
    flood "$1" VI_2 eth1 4 --vrid 52 --version 2 --interval-cs 200 --auth 1111 --addr 10.78.1.50 --src 10.78.1.99
    flood "$1" VI_6 eth0 6 --vrid 53 --version 3 --interval-cs 200 --addr fd78::50
}

# -- master: the flood must not make it yield, and its adverts keep going out
phase_floods master
# paced: with nothing dropped, each counter is checked against its kinds
FLOOD_RATE=2000 FLOOD_SECONDS=1 flood master-paced VI_2 eth1 4 --vrid 52 --version 2 --interval-cs 200 --auth 1111 --addr 10.78.1.50 --src 10.78.1.99
for i in VI_4 VI_2 VI_6; do state_is n1 "$i" master || fail "master/$i: state $(state n1 "$i") after the floods"; done
has_vip n1 10.78.0.50/24 || fail "master: VIP 10.78.0.50 lost"

# -- backup: a real master (priority 200) in the flooder's namespace
VIGIL_BUS_NAME=org.vigil.Vrrp1.f daemon_start_ns "${NS[f]}" vrrpd_f "$VRRPD" -c "$TEST_TMP/f.yaml"
wait_for 10 bus_has_name org.vigil.Vrrp1.f || fail "vrrpd f did not start"
for i in VI_4 VI_2 VI_6; do wait_state n1 "$i" backup 10; wait_state f "$i" master 10; PATHS[f/$i]=$(inst_path f "$i"); done
sleep 1 # the master's first adverts after its takeover are in
phase_floods backup
for i in VI_4 VI_2 VI_6; do
    state_is n1 "$i" backup || fail "backup/$i: state $(state n1 "$i") after the floods"
    state_is f "$i" master || fail "backup/$i: the real master is $(state f "$i")"
done
kill -0 "$pid" || fail "vrrpd died"
log "figures (phase instance sent elapsed_ms counted raw_drops link_drops real_adverts_lost cpu% log_lines):"
sed 's/^/#   /' "$TEST_TMP/figures.txt" >&2
log "PASS"
