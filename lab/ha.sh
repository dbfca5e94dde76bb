#!/bin/bash
# HA pair: two directors (MASTER priority 100, BACKUP priority 50, advert 1 s,
# VRRPv2 with PASS authentication, as in the classic configs) in front of two
# LVS-DR real servers with HTTP checks. A client requests the VIP 20 times a
# second and asks ARP for it every 10 ms while the lab takes a real server
# down and up, kill -9s the master's VRRP speaker, brings it back
# (preemption), stops the master gracefully, then partitions the directors
# from each other (nftables drops VRRP between them) while both still reach
# ZooKeeper: vigil runs with `fencing: {policy: required, agents:
# [org.vigil.FenceZk1]}` and vigil-fence-zk on each director; it also cuts the
# master off from ZooKeeper and its peer. The same scenario runs with
# keepalived in place of vigil (no fencing there), and both timelines are
# printed side by side.
#
#   client 10.60.0.100 ──┬── dir1 10.60.0.1 (MASTER, prio 100)   VIP 10.60.0.200
#                        ├── dir2 10.60.0.2 (BACKUP, prio 50)
#                        ├── rs1 10.60.0.11 (VIP on lo, httpd)
#                        ├── rs2 10.60.0.12 (VIP on lo, httpd)
#                        └── zk 10.60.0.5 (ZooKeeper, the arbiter; vigil run only)
HA_VIP=10.60.0.200
HA_ZK=10.60.0.5
FENCEZK=$BUILD/tools/fence-zk/vigil-fence-zk

ha_topology() {
    lab_switch
    lab_bridge lan
    lab_host client; lab_plug client eth0 lan 10.60.0.100/24
    local i
    for i in 1 2; do
        lab_host dir$i; lab_plug dir$i eth0 lan 10.60.0.$i/24
    done
    for i in 1 2; do
        lab_host rs$i; lab_plug rs$i eth0 lan 10.60.0.1$i/24
        on rs$i env VIGIL_REALSERVER_STATE="$LAB_TMP/rs$i.state" "$VIGILCTL" realserver setup --mode dr $HA_VIP >/dev/null 2>&1
        ha_httpd_start $i
    done
    lab_host zk; lab_plug zk eth0 lan $HA_ZK/24
}
ha_httpd_start() {
    local dir=$LAB_TMP/www-rs$1
    mkdir -p "$dir"; echo "rs$1" > "$dir/index.html"
    ip netns exec "lab-rs$1" busybox httpd -f -p 80 -h "$dir" &
    eval "HTTPD_PID_$1=$!"
    lab_on_exit "kill $!"
}
ha_httpd_stop() { local v="HTTPD_PID_$1"; kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }

# ---- vigil ------------------------------------------------------------------
ha_vigil_config() { # DIR PRIO STATE
    cat > "$LAB_TMP/vigil-dir$1.yaml" <<YAML
global:
  router_id: dir$1
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: $2
      initial_state: $3
      version: 2
      advert_interval: 1s
      authentication: {type: pass, password: "1111"}
      virtual_addresses: [$HA_VIP/32]
virtual_servers:
  - address: $HA_VIP
    port: 80
    protocol: tcp
    scheduler: rr
    forwarding: dr
    delay_loop: 1s
    real_servers:
      - address: 10.60.0.11
        port: 80
        check: {type: http, path: /, status: [200], connect_timeout: 1s, fall: 2, rise: 1}
      - address: 10.60.0.12
        port: 80
        check: {type: http, path: /, status: [200], connect_timeout: 1s, fall: 2, rise: 1}
YAML
}
ha_vigil_start() { # DIR PRIO STATE
    ha_vigil_config "$@"
    lab_bus dir$1
    lab_daemon dir$1 dir$1 checkerd-dir$1 "$CHECKERD" -c "$LAB_TMP/vigil-dir$1.yaml"
    lab_daemon dir$1 dir$1 ipvsd-dir$1 "$IPVSD" -c "$LAB_TMP/vigil-dir$1.yaml"
    ha_vigil_start_vrrp "$1"
}
ha_vigil_start_vrrp() {
    lab_daemon dir$1 dir$1 vrrpd-dir$1 "$VRRPD" -c "$LAB_TMP/vigil-dir$1.yaml"
}
ha_vigil_kill() { local v="PID_vrrpd_dir$1"; kill -9 "${!v}"; }
ha_vigil_stop() { local v="PID_vrrpd_dir$1"; kill -TERM "${!v}"; wait_gone "${!v}"; }
ha_vigil_restart() { ha_vigil_start_vrrp "$1"; }
ha_vigil_weight() { # DIR RS → weight of the real server in dir's kernel table
    on dir$1 ipvsadm -Ln -t $HA_VIP:80 | awk -v rs="10.60.0.1$2:80" '$2==rs {print $4}'
}

# ---- ZooKeeper and fencing (vigil) -------------------------------------------
# ZooKeeper: Debian's jar, standalone, in the zk namespace. The JVM takes
# ~20 s to answer under TCG (minutes on a loaded host), so it starts first,
# before the directors, and waits for step 5. The agents ask for the
# default 6 s session (revoke after 3 s without an answer): a JVM in a
# loaded emulated guest misses shorter bounds now and then.
ha_zk_start() {
    local d=$LAB_TMP/zk java=${LAB_JAVA:-}
    HA_ZK_PID=
    if [ -z "$java" ] || [ ! -x "$java" ] || [ ! -f /usr/share/java/zookeeper.jar ]; then
        HA_ZK_MISSING="java ('${java:-none}') or /usr/share/java/zookeeper.jar is missing: apt-get install zookeeper default-jre-headless (scripts/test installs them)"
        return 1
    fi
    mkdir -p "$d/data"
    cat > "$d/zoo.cfg" <<CFG
tickTime=500
dataDir=$d/data
clientPort=2181
clientPortAddress=$HA_ZK
minSessionTimeout=1000
maxSessionTimeout=20000
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
CFG
    # client compiler only, one compiler thread, a small heap (-Xint starts
    # as fast but answers too slowly for the leases once the lab runs).
    # Not niced: the arbiter is another machine in real life, and a starved
    # server would revoke the leases.
    ip netns exec lab-zk "$java" -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xmx64m -Xss512k \
        -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar -Dzookeeper.log.dir="$d" \
        org.apache.zookeeper.server.ZooKeeperServerMain "$d/zoo.cfg" >"$d/zookeeper.log" 2>&1 &
    HA_ZK_PID=$!
    HA_ZK_T0=$(now_ms)
    lab_on_exit "kill -9 $HA_ZK_PID"
}
# a generous bound: an interpreted JVM in a loaded emulated guest answers slowly
ha_zk_ok() { [ "$(on zk timeout 15 bash -c "exec 3<>/dev/tcp/$HA_ZK/2181 && echo ruok >&3 && cat <&3" 2>/dev/null)" = imok ]; }

# The fenced configuration: a director may be MASTER only while it holds
# VI_1's lock in ZooKeeper. preempt: false, because a preempting node's
# Fence cannot succeed while the lower-priority master holds the lock (it
# would go FAULT fence-failed and retry); with fencing the master keeps the
# role until it fails.
ha_vigil_fenced_config() { # DIR PRIO
    cat > "$LAB_TMP/vigil-dir$1-fenced.yaml" <<YAML
global:
  router_id: dir$1
zookeeper: {hosts: "$HA_ZK:2181", root: /vigil-lab, session_timeout: 6s}
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 51
      priority: $2
      initial_state: backup
      preempt: false
      version: 2
      advert_interval: 1s
      authentication: {type: pass, password: "1111"}
      virtual_addresses: [$HA_VIP/32]
      fencing: {policy: required, timeout: 8s, agents: [org.vigil.FenceZk1]}
YAML
}
ha_bus() { local v="BUS_dir$1"; DBUS_SYSTEM_BUS_ADDRESS="${!v}" busctl --system "${@:2}" 2>/dev/null; }
ha_vrrp_prop() { # DIR PROPERTY → value (unquoted)
    ha_bus "$1" get-property org.vigil.Vrrp1 /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance "$2" | cut -d' ' -f2- | tr -d '"'
}
ha_state_is() { [ "$(ha_vrrp_prop "$1" State)" = "$2" ]; }
ha_reason_has() { [[ "$(ha_vrrp_prop "$1" LastReason)" == *"$2"* ]]; }
ha_zk_session_ok() { ha_bus "$1" get-property org.vigil.FenceZk1 /org/vigil/FenceZk1 org.vigil.FenceZk1.Manager SessionState | grep -q connected; }
ha_zk_held() { ha_bus "$1" get-property org.vigil.FenceZk1 /org/vigil/FenceZk1/instance/VI_5f1 org.vigil.FenceZk1.Instance Held | grep -q true; }

# A network partition, as the hosts see it: packets from the other side are
# lost on the way in (only input: a local send dropped in OUTPUT would fail
# with EPERM, which a real partition does not do). Own table, next to
# vrrpd's. RULES: vrrp (adverts), zk (packets from ZooKeeper), from-dir1.
ha_cut() { # HOST RULES...
    local rules=() r
    for r in "${@:2}"; do
        case $r in
            vrrp) rules+=("ip protocol vrrp drop;") ;;
            zk) rules+=("ip saddr $HA_ZK drop;") ;;
            from-dir1) rules+=("ip saddr 10.60.0.1 drop;") ;;
        esac
    done
    on "$1" nft -f - <<NFT
table inet lab_partition {
  chain in { type filter hook input priority -300; ${rules[*]} }
}
NFT
}
ha_uncut() { on "$1" nft delete table inet lab_partition 2>/dev/null; }

# 5. fencing: required. Both vrrpd restart with the fenced configuration
# (dir1 first, so it is the master) next to a vigil-fence-zk each.
ha_vigil_fenced_setup() {
    if [ "$HA_ZK_READY" != 1 ]; then fail "[vigil] ZooKeeper for the partition step" "$HA_ZK_MISSING"; return 1; fi
    ha_vigil_stop 2
    local i
    for i in 1 2; do
        ha_vigil_fenced_config $i $(( i == 1 ? 100 : 50 ))
        lab_daemon dir$i dir$i fencezk-dir$i "$FENCEZK" -c "$LAB_TMP/vigil-dir$i-fenced.yaml"
    done
    for i in 1 2; do
        wait_until 60 ha_zk_session_ok $i || { fail "[vigil] vigil-fence-zk on dir$i connects to ZooKeeper" "$(tail -n 3 "$LAB_TMP/fencezk-dir$i.log" | tr '\n' ' ')"; return 1; }
    done
    lab_daemon dir1 dir1 vrrpd-dir1 "$VRRPD" -c "$LAB_TMP/vigil-dir1-fenced.yaml"
    if wait_until 60 ha_state_is 1 master && wait_until 30 answering_is dir1; then :; else
        fail "[vigil] fenced dir1 becomes master" "$(ha_vrrp_prop 1 State): $(ha_vrrp_prop 1 LastReason)"; return 1
    fi
    lab_daemon dir2 dir2 vrrpd-dir2 "$VRRPD" -c "$LAB_TMP/vigil-dir2-fenced.yaml"
    if wait_until 60 ha_state_is 2 backup && ha_zk_held 1; then
        pass "[vigil] fencing: required: dir1 MASTER holding VI_1's ZooKeeper lock, dir2 BACKUP" "$(ha_vrrp_prop 1 LastReason)"
    else
        fail "[vigil] fenced pair" "dir1 $(ha_vrrp_prop 1 State), dir2 $(ha_vrrp_prop 2 State): $(ha_vrrp_prop 2 LastReason)"; return 1
    fi
}
ha_keepalived_fenced_setup() {
    ha_keepalived_restart 1
    if wait_until 60 answering_is dir1; then :; else fail "[keepalived] dir1 master again" "answering: $(ha_answering)"; return 1; fi
}

# ---- keepalived -----------------------------------------------------------
ha_keepalived_start() { # DIR PRIO STATE
    local state=BACKUP
    [ "$3" = master ] && state=MASTER
    cat > "$LAB_TMP/keepalived-dir$1.conf" <<CONF
global_defs {
   router_id dir$1
}
vrrp_instance VI_1 {
    state $state
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        $HA_VIP/32
    }
}
virtual_server $HA_VIP 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.60.0.11 80 {
        weight 1
        inhibit_on_failure
        HTTP_GET {
            url {
              path /
              status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 10.60.0.12 80 {
        weight 1
        inhibit_on_failure
        HTTP_GET {
            url {
              path /
              status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
CONF
    ha_keepalived_restart "$1"
}
ha_keepalived_restart() {
    local d=$LAB_TMP/ka-dir$1
    mkdir -p "$d"
    # -G: no syslog in the guest, and not -l: console output crawls under emulation
    ip netns exec "lab-dir$1" keepalived -n -G -f "$LAB_TMP/keepalived-dir$1.conf" \
        -p "$d/ka.pid" -r "$d/vrrp.pid" -c "$d/check.pid" >>"$LAB_TMP/keepalived-dir$1.out" 2>&1 &
    eval "PID_ka_dir$1=$!"
    disown $!
    lab_on_exit "kill_matching keepalived-dir$1.conf"
}
# "keepalived on the MASTER is killed": every keepalived process of that node.
kill_matching() { local p; p=$(pids_matching "$1"); [ -z "$p" ] || kill -9 $p 2>/dev/null; return 0; }
# "keepalived on the MASTER is killed": the parent and its children at once.
# Freeze them all first: keepalived's children get SIGTERM when their parent
# dies (PDEATHSIG) and would clean up, which a real crash or OOM kill does not.
ha_keepalived_kill() {
    local p; p=$(pids_matching "keepalived-dir$1.conf")
    [ -z "$p" ] || { kill -STOP $p; kill -9 $p; kill -CONT $p; } 2>/dev/null
    rm -f "$LAB_TMP/ka-dir$1"/*.pid
}
ha_keepalived_stop() { local v="PID_ka_dir$1"; kill -TERM "${!v}"; wait_gone "${!v}"; }
ha_keepalived_weight() { ha_vigil_weight "$@"; }

# ---- the scenario -------------------------------------------------------------
# ha_answering: which director answers ARP for the VIP ("dir1", "dir2", "dir1+dir2" or "none").
ha_answering() {
    local macs out=""
    macs=$(who_answers client eth0 $HA_VIP)
    grep -q "$MAC1" <<<"$macs" && out=dir1
    grep -q "$MAC2" <<<"$macs" && out=${out:+$out+}dir2
    echo "${out:-none}"
}
# ha_addr_tables SECONDS [T0]: both nodes' VIP presence after a fault, sampled
# every ~0.3 s for SECONDS, one line per change (who answers ARP is in the
# probe's record).
ha_addr_tables() {
    local t0=${2:-$(now_ms)} end=$(( $(now_ms) + $1 * 1000 )) a1 a2 line last=
    while [ "$(now_ms)" -lt $end ]; do
        a1=$(on dir1 ip -4 -o addr show dev eth0 | grep -c "$HA_VIP/" || true)
        a2=$(on dir2 ip -4 -o addr show dev eth0 | grep -c "$HA_VIP/" || true)
        line=$(printf 'dir1: %-8s dir2: %-8s' "$([ "$a1" = 1 ] && echo "VIP" || echo -)" "$([ "$a2" = 1 ] && echo "VIP" || echo -)")
        [ "$line" = "$last" ] || info "$(printf '  t+%5dms  %s' $(( $(now_ms) - t0 )) "$line")"
        last=$line
        sleep 0.3
    done
}
answering_is() { [ "$(ha_answering)" = "$1" ]; }
answering_includes() { [[ "$(ha_answering)" == *"$1"* ]]; }
weights_are() { # IMPL W1 W2: rs1 and rs2 weights on dir1's table
    [ "$(ha_$1_weight 1 1)" = "$2" ] && [ "$(ha_$1_weight 1 2)" = "$3" ]
}

# ha_run IMPL: runs the scenario with vigil or keepalived; leaves the summary in HA_SUMMARY_<impl>.
ha_run() {
    local impl=$1 out=$LAB_TMP/probe-$impl.txt
    ha_topology
    HA_ZK_READY=0
    if [ "$impl" = vigil ] && ha_zk_start; then
        # before the directors: a JVM starting under emulation would slow the
        # failover steps. Polled once a second: forks are what costs in the guest.
        local end=$(( $(now_ms) + 600000 ))
        until ha_zk_ok || [ "$(now_ms)" -ge $end ]; do sleep 2; done
        if ha_zk_ok; then
            HA_ZK_READY=1
            info "[vigil] ZooKeeper (zk $HA_ZK, for step 5) answered ruok $(( ($(now_ms) - HA_ZK_T0) / 1000 )) s after its JVM started"
        else
            HA_ZK_MISSING="ZooKeeper did not answer ruok within 600 s: $(tail -n 3 "$LAB_TMP/zk/zookeeper.log" | tr '\n' ' ')"
        fi
    fi
    MAC1=$(mac_of dir1 eth0); MAC2=$(mac_of dir2 eth0)
    ha_${impl}_start 1 100 master
    ha_${impl}_start 2 50 backup
    if wait_until 60 answering_is dir1; then
        pass "[$impl] dir1 is master: only dir1 answers ARP for the VIP"
    else
        fail "[$impl] dir1 became master" "answering: $(ha_answering)"
    fi
    wait_until 60 weights_are "$impl" 1 1 || true

    : > "$out"
    ip netns exec "lab-client" "$PROBE" --iface eth0 --vip $HA_VIP --http $HA_VIP:80 --duration 600s --out "$out" &
    local probe=$!
    lab_on_exit "kill $probe"
    sleep 2

    # 1. a real server's HTTP goes away and comes back
    mark "$out" rs-down
    ha_httpd_stop 1
    if wait_until 60 weights_are "$impl" 0 1; then
        pass "[$impl] rs1 stopped → weight 0 on the master" "$(( $(now_ms) - $(awk '$1=="mark" && $3=="rs-down" {print $2}' "$out") )) ms"
    else
        fail "[$impl] rs1 stopped → weight 0 on the master" "weight $(ha_${impl}_weight 1 1)"
    fi
    mark "$out" rs-up
    ha_httpd_start 1
    if wait_until 60 weights_are "$impl" 1 1; then pass "[$impl] rs1 back → weight 1"; else fail "[$impl] rs1 back → weight 1"; fi
    sleep 1

    # 2. kill -9 of the master's VRRP speaker
    mark "$out" kill
    local t0; t0=$(now_ms)
    ha_${impl}_kill 1
    info "[$impl] kill -9 on dir1; both nodes' address tables:"
    ha_addr_tables 6 "$t0"
    if wait_until 60 answering_includes dir2; then
        pass "[$impl] dir2 took over"
    else
        fail "[$impl] dir2 took over" "answering: $(ha_answering)"
    fi
    sleep 2
    HA_AFTER_KILL_ANSWERING=$(ha_answering)
    info "[$impl] 2 s after the takeover, ARP answers come from: $HA_AFTER_KILL_ANSWERING"

    # 3. the killed node comes back and preempts
    mark "$out" restart
    ha_${impl}_restart 1
    if wait_until 60 answering_is dir1; then
        pass "[$impl] dir1 back and master again (preemption); only dir1 answers"
    else
        fail "[$impl] dir1 preempts" "answering: $(ha_answering)"
    fi
    sleep 2

    # 4. graceful stop of the master
    mark "$out" stop
    ha_${impl}_stop 1
    if wait_until 60 answering_is dir2; then pass "[$impl] graceful stop: dir2 takes over"; else fail "[$impl] graceful stop" "answering: $(ha_answering)"; fi
    sleep 2

    # 5. partitions (vigil: with fencing: required against ZooKeeper)
    mark "$out" setup
    ha_${impl}_fenced_setup && ha_partition "$impl" "$out"
    sleep 1
    mark "$out" end
    kill $probe 2>/dev/null; wait $probe 2>/dev/null

    ha_analyze "$impl" "$out"
    lab_cleanup
}

# ha_partition IMPL PROBEFILE: dir1 is master. The directors stop hearing each
# other (VRRP dropped in both); then, vigil only, dir1 is cut off from
# ZooKeeper and from dir2 while the client still reaches it.
ha_partition() {
    local impl=$1 out=$2 lt i t0
    lt=$(ha_vrrp_prop 1 LastTransition)
    mark "$out" partition
    t0=$(now_ms)
    for i in 1 2; do ha_cut dir$i vrrp; done
    if [ "$impl" = vigil ]; then
        # dir2 hears no advert for master_down_interval (~3.8 s), asks its agent,
        # which is refused: dir1's agent holds the lock
        if wait_until 60 ha_reason_has 2 fence-failed; then
            pass "[vigil] partition: dir2 wants MASTER, its fence is refused (dir1 holds the lock)" "$(ha_vrrp_prop 2 State): $(ha_vrrp_prop 2 LastReason | cut -c1-90)"
        else
            fail "[vigil] partition: dir2's fence refused" "dir2 $(ha_vrrp_prop 2 State): $(ha_vrrp_prop 2 LastReason)"
        fi
    else
        if wait_until 60 answering_is dir1+dir2; then
            info "[keepalived] partition: both directors answer ARP for the VIP (split brain) after $(( $(now_ms) - t0 )) ms"
        fi
    fi
    # hold the partition for a while: a fence retry or two (1 s, 2 s backoff)
    while [ $(( $(now_ms) - t0 )) -lt 10000 ]; do sleep 0.5; done
    if [ "$impl" = vigil ]; then
        if ha_state_is 1 master && [ "$(ha_vrrp_prop 1 LastTransition)" = "$lt" ] && ! ha_state_is 2 master; then
            pass "[vigil] partition: dir1 stayed MASTER throughout, dir2 never MASTER" "dir2 $(ha_vrrp_prop 2 State)"
        else
            fail "[vigil] partition: one master" "dir1 $(ha_vrrp_prop 1 State) ($(ha_vrrp_prop 1 LastReason)), dir2 $(ha_vrrp_prop 2 State)"
        fi
    fi
    mark "$out" heal
    for i in 1 2; do ha_uncut dir$i; done
    if wait_until 60 answering_is dir1 && { [ "$impl" != vigil ] || wait_until 60 ha_state_is 2 backup; }; then
        pass "[$impl] partition healed: only dir1 answers$([ "$impl" = vigil ] && echo ", dir2 BACKUP")" "$([ "$impl" = vigil ] && ha_vrrp_prop 2 LastReason)"
    else
        fail "[$impl] partition healed" "answering: $(ha_answering)$([ "$impl" = vigil ] && echo "; dir2 $(ha_vrrp_prop 2 State)")"
    fi
    [ "$impl" = vigil ] || return 0
    sleep 2

    # dir1 alone: no ZooKeeper, no peer, but the client still reaches it. Its
    # agent revokes at L + t/2 (t = 6 s session), vrrpd drops the VIP; dir2
    # gets the lock only after ZooKeeper expires dir1's session (L + t).
    mark "$out" isolate
    t0=$(now_ms)
    ha_cut dir1 vrrp zk; ha_cut dir2 vrrp; ha_cut zk from-dir1
    info "[vigil] dir1 cut off from ZooKeeper and dir2; both nodes' address tables:"
    ha_addr_tables 12 "$t0"
    if wait_until 60 answering_is dir2 && ha_zk_held 2; then
        pass "[vigil] isolated master: dir2 holds the lock and the VIP" "after $(( $(now_ms) - t0 )) ms"
    else
        fail "[vigil] isolated master: dir2 takes over" "answering: $(ha_answering); dir2 $(ha_vrrp_prop 2 State): $(ha_vrrp_prop 2 LastReason)"
    fi
    if ha_reason_has 1 fence-revoked || ha_reason_has 1 fence-failed; then
        pass "[vigil] isolated master left MASTER on its own" "dir1 $(ha_vrrp_prop 1 State): $(ha_vrrp_prop 1 LastReason | cut -c1-90)"
    else
        fail "[vigil] isolated master left MASTER on its own" "dir1 $(ha_vrrp_prop 1 State): $(ha_vrrp_prop 1 LastReason)"
    fi
    grep -q 'fence-revoked' "$LAB_TMP/vrrpd-dir1.log" || fail "[vigil] dir1's vrrpd logged no fence-revoked"
    mark "$out" rejoin
    ha_uncut dir1; ha_uncut dir2; ha_uncut zk
    # dir1's session expired: its agent starts a new one; vrrpd retries the
    # fence (backoff doubling up to 30 s while it was cut off, each attempt
    # up to fencing.timeout), is refused, and with preempt off settles as
    # BACKUP behind dir2
    if wait_until 240 ha_state_is 1 backup && wait_until 60 answering_is dir2; then
        pass "[vigil] dir1 rejoins as BACKUP; only dir2 answers"
    else
        fail "[vigil] dir1 rejoins" "dir1 $(ha_vrrp_prop 1 State): $(ha_vrrp_prop 1 LastReason); answering: $(ha_answering)"
    fi
}

# ha_analyze IMPL FILE: per phase, failed requests, time to the new master's
# first ARP answer, the first/last answer of each director, the overlap
# (ARP requests answered by both MACs × 10 ms), and the ARP samples answered
# by one director, by none, by both.
ha_analyze() {
    local impl=$1 f=$2
    local summary
    summary=$(awk -v m1="$MAC1" -v m2="$MAC2" '
        function reset() { n_ok=0; n_fail=0; first2=""; first1=""; last1=""; last2=""; over=0
                           delete seen; delete cnt; delete reqs; nreq=0 }
        function close_phase(   k, one, none) {
            one=0; none=0
            for (k in reqs) { if (!(k in cnt)) none++; else if (cnt[k]==1) one++ }
            printf "%s fail=%d ok=%d first_dir2=%s first_dir1=%s last_dir1=%s last_dir2=%s overlap_ms=%d samples=%d one=%d none=%d both=%d\n", phase, n_fail, n_ok, (first2==""?"-":int(first2)), (first1==""?"-":int(first1)), (last1==""?"-":int(last1)), (last2==""?"-":int(last2)), over*10, nreq, one, none, over
        }
        $1=="mark" { if (phase != "") close_phase(); phase=$3; t0=$2; reset(); next }
        phase=="" { next }
        $1=="req" { reqs[$3]=1; nreq++ }
        $1=="http" { if ($3=="ok") n_ok++; else n_fail++ }
        $1=="arp" {
            key=$3; mac=$4
            if (!(key SUBSEP mac in seen)) { seen[key, mac]=1; cnt[key]++; if (cnt[key]==2) over++ }
            if (mac==m2 && first2=="") first2=$2-t0
            if (mac==m1 && first1=="") first1=$2-t0
            if (mac==m1) last1=$2-t0
            if (mac==m2) last2=$2-t0
        }' "$f")
    eval "HA_SUMMARY_$impl=\$summary"
    local l
    while read -r l; do [ -z "$l" ] || lab_measure "impl=$impl phase=$l"; done <<<"$summary"
}
# ha_field SUMMARY PHASE FIELD → value ("" when the phase did not run)
ha_field() { grep "^$2 " <<<"$1" | grep -o " $3=[0-9-]*" | cut -d= -f2; }

HA_PHASES="rs-down rs-up kill restart stop partition heal isolate rejoin"
ha_report() {
    say ""
    say "  Timeline (client: 20 HTTP req/s and an ARP request every 10 ms to the VIP):"
    say "  $(printf '%-10s %-50s %-50s' phase vigil keepalived)"
    local phase v k
    fmt() { # SUMMARY → "failed=N overlap=Nms ..." for $phase
        local l=$1 fl ov to=""
        [ -n "$(grep "^$phase " <<<"$l")" ] || { echo "-"; return; }
        fl=$(ha_field "$l" "$phase" fail)
        ov=$(ha_field "$l" "$phase" overlap_ms)
        case $phase in
            kill|stop) to=$(ha_field "$l" "$phase" first_dir2); [ "$to" = - ] || to=" new master after ${to}ms" ;;
            restart) to=$(ha_field "$l" "$phase" first_dir1); [ "$to" = - ] || to=" new master after ${to}ms" ;;
            partition) to=$(ha_field "$l" "$phase" first_dir2)
                       if [ "$to" = - ]; then to=" dir2 never answers"; else to=" 2nd master after ${to}ms"; fi ;;
            isolate) to=" dir1 last at $(ha_field "$l" "$phase" last_dir1)ms, dir2 first at $(ha_field "$l" "$phase" first_dir2)ms" ;;
        esac
        [ "$to" = " new master after -ms" ] && to=""
        echo "failed=$fl overlap=${ov}ms$to"
    }
    for phase in $HA_PHASES; do
        v=$(fmt "$HA_SUMMARY_vigil")
        k=$(fmt "$HA_SUMMARY_keepalived")
        [ "$phase" = isolate ] || [ "$phase" = rejoin ] && [ "$k" = - ] && k="- (no fencing: same as partition)"
        say "  $(printf '%-10s %-50s %-50s' "$phase" "$v" "$k")"
    done
}

lab_ha() {
    lab_begin ha "HA pair: VRRP failover with LVS-DR, vigil vs keepalived"
    [ -x "$PROBE" ] || { fail "vigil-probe is not built"; return; }
    [ -x "$FENCEZK" ] || { fail "vigil-fence-zk is not built ($FENCEZK)"; return; }
    ha_run vigil
    local vigil_after_kill=$HA_AFTER_KILL_ANSWERING
    ha_run keepalived
    local ka_after_kill=$HA_AFTER_KILL_ANSWERING
    ha_report
    local ov
    ov=$(grep -o 'overlap_ms=[0-9]*' <<<"$HA_SUMMARY_vigil" | cut -d= -f2 | sort -n | tail -1)
    if [ "${ov:-0}" = 0 ] && [ "$vigil_after_kill" = dir2 ]; then
        pass "vigil: no instant where both directors answer for the VIP (overlap 0 ms in every phase)"
    else
        fail "vigil: overlap must be 0" "max overlap ${ov}ms; after kill: $vigil_after_kill"
    fi
    local S=$HA_SUMMARY_vigil n one none both
    if [ -n "$(ha_field "$S" partition samples)" ]; then
        n=$(ha_field "$S" partition samples); one=$(ha_field "$S" partition one)
        none=$(ha_field "$S" partition none); both=$(ha_field "$S" partition both)
        # every answer in the partition came from dir1: dir2 never answered
        if [ "$both" = 0 ] && [ "$(ha_field "$S" partition first_dir2)" = - ] && [ "$one" -gt 0 ]; then
            pass "vigil, partition with fencing: exactly one director (dir1) answers ARP, never both" \
                "$n samples: $one answered by dir1 only, $both by both, $none unanswered (late replies under emulation)"
        else
            fail "vigil, partition with fencing: one director answers" "$n samples: one=$one both=$both none=$none first_dir2=$(ha_field "$S" partition first_dir2)"
        fi
        local l1 f2
        l1=$(ha_field "$S" isolate last_dir1); f2=$(ha_field "$S" isolate first_dir2)
        if [ -n "$l1" ] && [ "$l1" != - ] && [ -n "$f2" ] && [ "$f2" != - ] && [ "$l1" -lt "$f2" ]; then
            pass "vigil, isolated master: dir1's last ARP answer before dir2's first" "dir1 last at ${l1}ms, dir2 first at ${f2}ms after the cut"
        else
            fail "vigil, isolated master: dir1 silent before dir2 answers" "dir1 last at ${l1:-?}ms, dir2 first at ${f2:-?}ms"
        fi
    fi
    info "keepalived after kill -9 of the master: ARP answered by $ka_after_kill (both = split brain)"
    local kov
    kov=$(ha_field "$HA_SUMMARY_keepalived" partition overlap_ms)
    info "keepalived in the partition: both directors answered the same ARP request for ${kov:-?} ms in total"
}
