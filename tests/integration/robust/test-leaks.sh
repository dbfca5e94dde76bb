#!/bin/bash
# Leak check: vrrpd, checkerd, vigil-notify and vigil-exporter run on a
# private bus with a non-trivial config (VRRP v2/v3/IPv6 instances, a sync
# group, track checks; tcp/http/exec/dns/udp checks and real-server checks;
# notify scripts), are reloaded RELOADS times alternating two configs that
# add, remove and change instances and checks (so reload really allocates and
# frees), then stopped with SIGTERM. Each must exit 0 with no leak reported:
#  - sanitizer build (the binaries link libasan): LeakSanitizer runs at exit,
#    RELOADS=100 by default;
#  - plain build: under valgrind --leak-check=full (definite and indirect
#    leaks are errors), RELOADS=16 by default (valgrind is ~30x slower).
# Needs root (network namespace for vrrpd).
. "${VIGIL_SOURCE_ROOT:-$(git rev-parse --show-toplevel)}/tests/integration/common/lib.sh"
require_root
require_cmd busctl dbus-daemon python3
NOTIFY=$VIGIL_BUILD_ROOT/tools/notify/vigil-notify
EXPORTER=$VIGIL_BUILD_ROOT/tools/exporter/vigil-exporter

if ldd "$VRRPD" | grep -q libasan; then
    MODE=asan
    RELOADS=${RELOADS:-100}
    # LeakSanitizer's report makes the exit status 66; a clean exit stays 0
    export ASAN_OPTIONS=detect_leaks=1:exitcode=66:abort_on_error=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=67
    WRAP=()
else
    MODE=valgrind
    require_cmd valgrind
    RELOADS=${RELOADS:-16}
    WRAP=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect
          --errors-for-leak-kinds=definite,indirect --error-exitcode=66 --num-callers=30
          --suppressions="$VIGIL_SOURCE_ROOT/tests/integration/robust/valgrind.supp")
fi
log "mode: $MODE, $RELOADS reloads"

bus_start
ns=$(netns_add n1)
veth_add "$ns" eth0 "$ns" eth1
ip -n "$ns" addr add 10.79.0.1/24 dev eth0
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
wait_for 5 sh -c "ip -n $ns -6 addr show dev eth0 scope link | grep -q fe80" || fail "no link-local"

# backends on loopback: an HTTP server and a TCP listener (python3, as the checker tests do)
BASE=$(( 20000 + RANDOM % 20000 ))
P_HTTP=$BASE P_CLOSED=$((BASE + 1)) P_UDP=$((BASE + 2))
python3 -m http.server --bind 127.0.0.1 "$P_HTTP" --directory "$TEST_TMP" >"$TEST_TMP/http.log" 2>&1 &
cleanup_add "kill $!"
wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P_HTTP" || fail "http backend did not start"

# conf A|B: B changes VI_1, removes VI_2 and the sync group, adds VI_3;
# changes chk_exec, removes chk_http and a real server, adds chk_udp
conf() {
    local v=$1
    {
        echo "vrrp:"
        echo "  instances:"
        echo "    VI_1:"
        echo "      interface: eth0"
        echo "      virtual_router_id: 51"
        echo "      priority: $([ "$v" = A ] && echo 100 || echo 90)"
        echo "      advert_interval: 100ms"
        echo "      virtual_addresses: [10.79.0.50/24, 10.79.0.51/24]"
        echo "      track: {checks: [{name: chk_exec, weight: -10}]}"
        if [ "$v" = A ]; then
            echo "    VI_2:"
            echo "      interface: eth0"
            echo "      virtual_router_id: 52"
            echo "      version: 2"
            echo "      priority: 100"
            echo "      authentication: {type: pass, password: \"1111\"}"
            echo "      virtual_addresses: [10.79.0.60/24]"
        else
            echo "    VI_3:"
            echo "      interface: eth0"
            echo "      virtual_router_id: 54"
            echo "      priority: 120"
            echo "      advert_interval: 200ms"
            echo "      virtual_addresses: [10.79.0.70/24]"
        fi
        echo "    VI_6:"
        echo "      interface: eth0"
        echo "      virtual_router_id: 53"
        echo "      priority: 100"
        echo "      virtual_addresses: [fd79::50/64]"
        if [ "$v" = A ]; then
            echo "  sync_groups:"
            echo "    G1: [VI_1, VI_2]"
        fi
        echo "checks:"
        echo "  chk_exec: {type: exec, command: [/bin/true], interval: $([ "$v" = A ] && echo 200ms || echo 300ms)}"
        echo "  chk_tcp: {type: tcp, address: 127.0.0.1, port: $P_HTTP, interval: 200ms}"
        echo "  chk_closed: {type: tcp, address: 127.0.0.1, port: $P_CLOSED, interval: 200ms}"
        echo "  chk_dns: {type: dns, address: 127.0.0.1, port: $P_CLOSED, query_name: example.org, timeout: 150ms, interval: 300ms}"
        if [ "$v" = A ]; then
            echo "  chk_http: {type: http, address: 127.0.0.1, port: $P_HTTP, path: /, status: [200, 404], interval: 200ms}"
        else
            echo "  chk_udp: {type: udp, address: 127.0.0.1, port: $P_UDP, payload: 'ping\\n', timeout: 150ms, interval: 300ms}"
        fi
        echo "virtual_servers:"
        echo "  - address: 10.79.0.50"
        echo "    port: 80"
        echo "    protocol: tcp"
        echo "    scheduler: wrr"
        echo "    forwarding: nat"
        echo "    delay_loop: 300ms"
        echo "    real_servers:"
        echo "      - {address: 127.0.0.1, port: $P_HTTP, check: {type: http, path: /}}"
        [ "$v" = A ] && echo "      - {address: 127.0.0.2, port: $P_CLOSED, check: {type: tcp}}"
        echo "notify:"
        echo "  VI_1: {notify: [/bin/true], timeout: 5s}"
        echo "  chk_tcp: {notify_up: [/bin/true], notify_down: [/bin/true]}"
    } > "$TEST_TMP/vigil.yaml"
}
conf A
for b in "$VRRPD" "$CHECKERD" "$NOTIFY"; do
    "$b" -c "$TEST_TMP/vigil.yaml" --check-config >/dev/null 2>"$TEST_TMP/check.err" || fail "$b --check-config: $(cat "$TEST_TMP/check.err")"
done
cp "$TEST_TMP/vigil.yaml" "$TEST_TMP/A.yaml"; conf B; cp "$TEST_TMP/vigil.yaml" "$TEST_TMP/B.yaml"
for b in "$VRRPD" "$CHECKERD" "$NOTIFY"; do
    "$b" -c "$TEST_TMP/B.yaml" --check-config >/dev/null 2>"$TEST_TMP/check.err" || fail "$b --check-config B: $(cat "$TEST_TMP/check.err")"
done
cp "$TEST_TMP/A.yaml" "$TEST_TMP/vigil.yaml"

declare -A PIDS
start() { # NAME NS|"" BINARY ARGS...
    local name=$1 n=$2 bin=$3; shift 3
    [ -x "$bin" ] || fail "$bin not built"
    if [ -n "$n" ]; then
        ip netns exec "$n" "${WRAP[@]}" "$bin" "$@" >"$TEST_TMP/$name.log" 2>&1 &
    else
        "${WRAP[@]}" "$bin" "$@" >"$TEST_TMP/$name.log" 2>&1 &
    fi
    PIDS[$name]=$!
    cleanup_add "kill -9 $!"
}
LOGOPTS=(--log-target=console --log-level=info)
start vrrpd "$ns" "$VRRPD" "${LOGOPTS[@]}" -c "$TEST_TMP/vigil.yaml"
start checkerd "" "$CHECKERD" "${LOGOPTS[@]}" -c "$TEST_TMP/vigil.yaml"
wait_for 60 bus_has_name org.vigil.Vrrp1 || fail "vrrpd did not take its name"
wait_for 60 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
start notify "" "$NOTIFY" "${LOGOPTS[@]}" -c "$TEST_TMP/vigil.yaml"
start exporter "" "$EXPORTER" "${LOGOPTS[@]}" --listen "127.0.0.1:$((BASE + 3))" --refresh 100ms
wait_for 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((BASE + 3))" || fail "exporter does not listen"

n_instances() { $BUSCTL call org.vigil.Vrrp1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager ListInstances | awk '{print $2}'; }
n_checks() { $BUSCTL call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager ListChecks | awk '{print $2}'; }
scrape() { # the exporter's page, over HTTP by hand (no curl needed)
    exec 3<>"/dev/tcp/127.0.0.1/$((BASE + 3))" || return 1
    printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
    cat <&3
    exec 3<&-
}
wait_for 60 eval '[ "$(n_checks)" -ge 6 ]' || fail "checkerd has $(n_checks) checks"
a_inst=$(n_instances); a_checks=$(n_checks)
log "config A: $a_inst instances, $a_checks checks"

t0=$(now_ns)
for i in $(seq 1 "$RELOADS"); do
    v=$([ $((i % 2)) = 1 ] && echo B || echo A)
    cp "$TEST_TMP/$v.yaml" "$TEST_TMP/vigil.yaml"
    $BUSCTL --timeout=60 call org.vigil.Vrrp1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager Reload >/dev/null || fail "vrrpd Reload #$i failed"
    $BUSCTL --timeout=60 call org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager Reload >/dev/null || fail "checkerd Reload #$i failed"
    kill -HUP "${PIDS[notify]}"
    # let the reloaded config run a little (checks fire, instances start) every few rounds
    if [ $((i % 10)) = 0 ]; then
        sleep 0.5
        scrape >/dev/null || fail "exporter scrape failed after reload #$i"
    fi
done
log "$RELOADS reloads in $(( ($(now_ns) - t0) / 1000000 )) ms"
# the last config is in force (an even count ends on A)
want=$([ $((RELOADS % 2)) = 0 ] && echo "$a_inst" || echo 3)
assert_eq "$(n_instances)" "$want" "instances after the reloads"
wait_for 30 eval 'scrape | grep -q "^vigil_up"' || fail "exporter: no vigil_up"

rc_all=0
for name in notify exporter checkerd vrrpd; do
    pid=${PIDS[$name]}
    kill -TERM "$pid"
    rc=0
    # valgrind's leak scan at exit of a big process takes seconds
    timeout 120 tail --pid="$pid" -f /dev/null || fail "$name did not exit after SIGTERM"
    wait "$pid" || rc=$?
    leaks=$(grep -cE 'LeakSanitizer|definitely lost in|indirectly lost in|ERROR: AddressSanitizer|runtime error:|^==[0-9]+== (Invalid|Conditional|Syscall param|Use of uninit)' "$TEST_TMP/$name.log")
    log "$name: exit status $rc, leak/sanitizer reports: $leaks"
    if [ "$rc" != 0 ] || [ "$leaks" != 0 ]; then
        echo "---- $name.log (sanitizer/valgrind part) ----" >&2
        grep -E -A40 'LeakSanitizer|ERROR: AddressSanitizer|runtime error:|definitely lost|indirectly lost|are definitely|are indirectly' "$TEST_TMP/$name.log" | head -150 >&2
        rc_all=1
    fi
done
[ "$rc_all" = 0 ] || fail "leaks or non-zero exits (see above)"
log "PASS: vrrpd, checkerd, vigil-notify, vigil-exporter: $RELOADS reloads, no leak ($MODE)"
