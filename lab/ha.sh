#!/bin/bash
# HA pair: two directors (MASTER priority 100, BACKUP priority 50, advert 1 s,
# VRRPv2 with PASS authentication, as in the classic configs) in front of two
# LVS-DR real servers with HTTP checks. A client requests the VIP 20 times a
# second and asks ARP for it every 10 ms while the lab takes a real server
# down and up, kill -9s the master's VRRP speaker, brings it back
# (preemption), and stops the master gracefully. The same scenario runs with
# keepalived in place of vigil, and both timelines are printed side by side.
#
#   client 10.60.0.100 ──┬── dir1 10.60.0.1 (MASTER, prio 100)   VIP 10.60.0.200
#                        ├── dir2 10.60.0.2 (BACKUP, prio 50)
#                        ├── rs1 10.60.0.11 (VIP on lo, httpd)
#                        └── rs2 10.60.0.12 (VIP on lo, httpd)
HA_VIP=10.60.0.200

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
# pids_matching PATTERN: processes whose command line contains PATTERN (the guest has no procps).
pids_matching() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
    done
    return 0
}
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
ha_addr_tables() { # both nodes' VIP presence in the window after a fault (who answers ARP is in the probe's record)
    local i t0 now a1 a2
    t0=$(now_ms)
    for i in $(seq "$1"); do
        now=$(( $(now_ms) - t0 ))
        a1=$(on dir1 ip -4 -o addr show dev eth0 | grep -c "$HA_VIP/" || true)
        a2=$(on dir2 ip -4 -o addr show dev eth0 | grep -c "$HA_VIP/" || true)
        info "$(printf '  t+%5dms  dir1: %-8s dir2: %-8s' "$now" "$([ "$a1" = 1 ] && echo "VIP" || echo -)" \
            "$([ "$a2" = 1 ] && echo "VIP" || echo -)")"
        sleep 0.5
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
    MAC1=$(mac_of dir1 eth0); MAC2=$(mac_of dir2 eth0)
    ha_${impl}_start 1 100 master
    ha_${impl}_start 2 50 backup
    if wait_until 30 answering_is dir1; then
        pass "[$impl] dir1 is master: only dir1 answers ARP for the VIP"
    else
        fail "[$impl] dir1 became master" "answering: $(ha_answering)"
    fi
    wait_until 20 weights_are "$impl" 1 1 || true

    : > "$out"
    ip netns exec "lab-client" "$PROBE" --iface eth0 --vip $HA_VIP --http $HA_VIP:80 --duration 600s --out "$out" &
    local probe=$!
    lab_on_exit "kill $probe"
    sleep 2

    # 1. a real server's HTTP goes away and comes back
    mark "$out" rs-down
    ha_httpd_stop 1
    if wait_until 15 weights_are "$impl" 0 1; then
        pass "[$impl] rs1 stopped → weight 0 on the master" "$(( $(now_ms) - $(awk '$1=="mark" && $3=="rs-down" {print $2}' "$out") )) ms"
    else
        fail "[$impl] rs1 stopped → weight 0 on the master" "weight $(ha_${impl}_weight 1 1)"
    fi
    mark "$out" rs-up
    ha_httpd_start 1
    if wait_until 15 weights_are "$impl" 1 1; then pass "[$impl] rs1 back → weight 1"; else fail "[$impl] rs1 back → weight 1"; fi
    sleep 1

    # 2. kill -9 of the master's VRRP speaker
    mark "$out" kill
    ha_${impl}_kill 1
    info "[$impl] kill -9 on dir1; both nodes' address tables and who answers ARP:"
    ha_addr_tables 8
    if wait_until 15 answering_includes dir2; then
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
    if wait_until 20 answering_is dir1; then
        pass "[$impl] dir1 back and master again (preemption); only dir1 answers"
    else
        fail "[$impl] dir1 preempts" "answering: $(ha_answering)"
    fi
    sleep 2

    # 4. graceful stop of the master
    mark "$out" stop
    ha_${impl}_stop 1
    if wait_until 10 answering_is dir2; then pass "[$impl] graceful stop: dir2 takes over"; else fail "[$impl] graceful stop" "answering: $(ha_answering)"; fi
    sleep 2
    mark "$out" end
    kill $probe 2>/dev/null; wait $probe 2>/dev/null

    ha_analyze "$impl" "$out"
    lab_cleanup
}

# ha_analyze IMPL FILE: per phase, failed requests, time to the new master's
# first ARP answer, and the overlap (requests answered by both MACs × 10 ms).
ha_analyze() {
    local impl=$1 f=$2
    local summary
    summary=$(awk -v m1="$MAC1" -v m2="$MAC2" '
        $1=="mark" { if (phase != "") close_phase(); phase=$3; t0=$2; n_ok=0; n_fail=0; first2=""; first1=""; delete seen; over=0; last1=""; last2=""; next }
        phase=="" { next }
        $1=="http" { if ($3=="ok") n_ok++; else n_fail++ }
        $1=="arp" {
            key=$3; mac=$4
            if (!(key SUBSEP mac in seen)) { seen[key, mac]=1; cnt[key]++; if (cnt[key]==2) over++ }
            if (mac==m2 && first2=="") first2=$2-t0
            if (mac==m1 && first1=="") first1=$2-t0
            if (mac==m1) last1=$2-t0
            if (mac==m2) last2=$2-t0
        }
        function close_phase() {
            printf "%s fail=%d ok=%d first_dir2=%s first_dir1=%s last_dir1=%s last_dir2=%s overlap_ms=%d\n", phase, n_fail, n_ok, (first2==""?"-":int(first2)), (first1==""?"-":int(first1)), (last1==""?"-":int(last1)), (last2==""?"-":int(last2)), over*10
            delete cnt
        }
        END { }' "$f")
    eval "HA_SUMMARY_$impl=\$summary"
}

ha_report() {
    local impl
    say ""
    say "  Timeline (client: 20 HTTP req/s and an ARP request every 10 ms to the VIP):"
    say "  $(printf '%-10s %-42s %-42s' phase vigil keepalived)"
    local phase
    for phase in rs-down rs-up kill restart stop; do
        local v k
        v=$(grep "^$phase " <<<"$HA_SUMMARY_vigil")
        k=$(grep "^$phase " <<<"$HA_SUMMARY_keepalived")
        fmt() { # line → "fail=N overlap=Nms takeover=Nms"
            local l=$1 fl ov to
            [ -n "$l" ] || { echo "-"; return; }
            fl=$(grep -o 'fail=[0-9]*' <<<"$l" | cut -d= -f2)
            ov=$(grep -o 'overlap_ms=[0-9]*' <<<"$l" | cut -d= -f2)
            case $phase in
                kill|stop) to=$(grep -o 'first_dir2=[0-9-]*' <<<"$l" | cut -d= -f2) ;;
                restart) to=$(grep -o 'first_dir1=[0-9-]*' <<<"$l" | cut -d= -f2) ;;
                *) to=- ;;
            esac
            if [ "$to" = - ] || [ -z "$to" ]; then to=""; else to=" new master after ${to}ms"; fi
            echo "failed=$fl overlap=${ov}ms$to"
        }
        say "  $(printf '%-10s %-42s %-42s' "$phase" "$(fmt "$v")" "$(fmt "$k")")"
    done
}

lab_ha() {
    lab_begin ha "HA pair: VRRP failover with LVS-DR, vigil vs keepalived"
    [ -x "$PROBE" ] || { fail "vigil-probe is not built"; return; }
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
    info "keepalived after kill -9 of the master: ARP answered by $ka_after_kill (both = split brain)"
}
