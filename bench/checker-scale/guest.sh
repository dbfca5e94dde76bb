#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the tests/vm guest (keepalived's checker needs ip_vs); with
# SKIP_KEEPALIVED=1 it also runs on the host (vigil-checkerd alone):
#   guest.sh BUILD_DIR BACKEND N_HTTP N_EXEC SECONDS
# Same backends, same machine, one after the other: vigil-checkerd, then
# keepalived -C (its checker child measured). CPU = utime+stime+cutime+cstime
# of the measured process over SECONDS after a warm-up; RSS = VmRSS at the end.
set -euo pipefail
BUILD=$1 BACKEND=$2 N=$3 NEXEC=$4 DUR=$5
WARM=${WARM:-6}
PORT=8080
# KEEP=1: in the build dir (shared with the host), else the guest's /tmp
if [ -n "${KEEP:-}" ]; then
        mkdir -p "$BUILD/bench/checker-scale"
        TMP=$(mktemp -d "$BUILD/bench/checker-scale/checker-scale.XXXXXX")
else
        TMP=$(mktemp -d /tmp/checker-scale.XXXXXX)
fi
HZ=$(getconf CLK_TCK)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

addr() { echo "127.$(( 1 + $1 / 62500 )).$(( ($1 / 250) % 250 )).$(( $1 % 250 + 1 ))"; }
xaddr() { echo "127.200.$(( $1 / 250 )).$(( $1 % 250 + 1 ))"; }

"$BACKEND" $PORT > "$TMP/backend.log" 2>&1 &
BPID=$!
trap 'kill $BPID 2>/dev/null; kill $BUSPID 2>/dev/null; true' EXIT

# private bus for vigil-checkerd
cat > "$TMP/bus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$TMP/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>
XML
dbus-daemon --config-file="$TMP/bus.conf" --nofork >"$TMP/dbus.log" 2>&1 &
BUSPID=$!
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TMP/bus.sock
sleep 1

gen_vigil() { # N_HTTP N_EXEC
        echo "checks:"
        for ((i = 0; i < $1; i++)); do
                echo "  h$i: {type: http, address: $(addr $i), port: $PORT, path: /, status: [200], interval: 1s, timeout: 3s}"
        done
        for ((i = 0; i < $2; i++)); do
                echo "  x$i: {type: exec, command: [/bin/true, \"$i\"], interval: 1s, timeout: 5s}"
        done
}
gen_keepalived() { # N_HTTP N_EXEC
        echo "global_defs { router_id bench }"
        local per=100 i=0 v=0
        while ((i < $1)); do
                echo "virtual_server 10.200.$((v / 250)).$((v % 250 + 1)) 80 {"
                echo "  delay_loop 1"; echo "  lb_algo rr"; echo "  lb_kind NAT"; echo "  protocol TCP"
                for ((k = 0; k < per && i < $1; k++, i++)); do
                        echo "  real_server $(addr $i) $PORT { weight 1"
                        echo "    HTTP_GET { url { path / status_code 200 } connect_timeout 3 retry 0 } }"
                done
                echo "}"
                v=$((v + 1))
        done
        i=0
        while ((i < $2)); do
                echo "virtual_server 10.201.$((v / 250)).$((v % 250 + 1)) 81 {"
                echo "  delay_loop 1"; echo "  lb_algo rr"; echo "  lb_kind NAT"; echo "  protocol TCP"
                for ((k = 0; k < per && i < $2; k++, i++)); do
                        echo "  real_server $(xaddr $i) 81 { weight 1"
                        echo "    MISC_CHECK { misc_path \"/bin/true $i\" misc_timeout 5 } }"
                done
                echo "}"
                v=$((v + 1))
        done
}

cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' /proc/$1/stat; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status; }
anon_kb() { awk '/^RssAnon:/ { print $2 }' /proc/$1/status; }

served() { # requests the backend has answered so far
        local before
        before=$(grep -c '^served' "$TMP/backend.log" || true)
        kill -USR1 $BPID
        for _ in $(seq 50); do
                [ "$(grep -c '^served' "$TMP/backend.log" || true)" -gt "$before" ] && break
                sleep 0.1
        done
        grep '^served' "$TMP/backend.log" | tail -n 1 | cut -d' ' -f2
}

vigil_runs() { # attempts vigil-checkerd started so far (its Stats property)
        busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property org.vigil.Checker1 /org/vigil/Checker1 \
                org.vigil.Checker1.Manager Stats | sed -n 's/.*"runs" \([0-9]*\).*/\1/p'
}

# measure NAME PID: prints "NAME cpu_seconds rss_kb http_requests_served rss_anon_kb [vigil_runs]"
measure() {
        sleep "$WARM"
        local c0 c1 s0 s1 r0= r1=
        # The same order at both ends (vigil's counter, CPU, backend count), so
        # each counter spans the same length as the CPU window: busctl and
        # served() take seconds under TCG, and a slow call inside one window
        # but not the other would inflate that count.
        [ "$1" = vigil ] && r0=$(vigil_runs); c0=$(cpu_ticks $2); s0=$(served)
        sleep "$DUR"
        [ "$1" = vigil ] && r1=$(vigil_runs); c1=$(cpu_ticks $2); s1=$(served)
        echo "$1 $(awk -v d=$((c1 - c0)) -v hz=$HZ 'BEGIN { printf "%.3f", d / hz }') $(rss_kb $2) $((s1 - s0))" \
                "$(anon_kb $2)${r0:+ $((r1 - r0))}"
}

run_vigil() { # N_HTTP N_EXEC TAG
        gen_vigil $1 $2 > "$TMP/vigil.yaml"
        "$BUILD/checkerd/vigil-checkerd" --log-target=console --log-level=${VIGIL_LOG_LEVEL:-warning} -c "$TMP/vigil.yaml" \
                >"$TMP/vigil-$3.log" 2>&1 &
        local pid=$!
        # the clock starts once it is up (config loaded, objects on the bus)
        local t0=$SECONDS
        until busctl --address=$DBUS_SYSTEM_BUS_ADDRESS call org.vigil.Checker1 /org/vigil/Checker1 \
                        org.vigil.Checker1.Manager ListChecks >/dev/null 2>&1; do
                kill -0 $pid 2>/dev/null || { tail "$TMP/vigil-$3.log" >&2; exit 1; }
                sleep 0.2
        done
        echo "  (vigil-checkerd ready after $((SECONDS - t0)) s)" >&2
        local m
        m=$(measure vigil $pid)
        local stats
        stats=$(busctl --address=$DBUS_SYSTEM_BUS_ADDRESS get-property org.vigil.Checker1 /org/vigil/Checker1 \
                org.vigil.Checker1.Manager Stats 2>&1 || true)
        local up
        up=$(busctl --address=$DBUS_SYSTEM_BUS_ADDRESS call org.vigil.Checker1 /org/vigil/Checker1 \
                org.vigil.Checker1.Manager ListChecks >/dev/null 2>&1 && echo ok || echo "no bus")
        if ! kill $pid 2>/dev/null; then
                echo "vigil-checkerd died:" >&2
                tail -20 "$TMP/vigil-$3.log" >&2
                exit 1
        fi
        wait $pid 2>/dev/null || true
        echo "$m" > "$TMP/result-vigil-$3"
        echo "$stats" > "$TMP/stats-$3"
        grep -c "→ down" "$TMP/vigil-$3.log" > "$TMP/downs-vigil-$3" || true
}

run_keepalived() { # N_HTTP N_EXEC TAG
        gen_keepalived $1 $2 > "$TMP/keepalived.conf"
        keepalived -C -n -l -D -f "$TMP/keepalived.conf" -p "$TMP/k.pid" -c "$TMP/kc.pid" \
                >"$TMP/keepalived-$3.log" 2>&1 &
        local parent=$!
        local i
        for ((i = 0; i < 100; i++)); do [ -s "$TMP/kc.pid" ] && break; sleep 0.1; done
        local child t0=$SECONDS
        child=$(cat "$TMP/kc.pid")
        # ready: every checker activated
        until [ "$(grep -c "Activating healthchecker" "$TMP/keepalived-$3.log")" -ge $(( $1 + $2 )) ]; do
                kill -0 $child 2>/dev/null || { tail "$TMP/keepalived-$3.log" >&2; exit 1; }
                sleep 0.2
        done
        echo "  (keepalived ready after $((SECONDS - t0)) s)" >&2
        local m
        m=$(measure keepalived $child)
        kill $parent; wait $parent 2>/dev/null || true
        echo "$m" > "$TMP/result-keepalived-$3"
        grep -c "Timeout\|failed\|Removing service" "$TMP/keepalived-$3.log" > "$TMP/downs-keepalived-$3" || true
}

report() { # TAG N LABEL
        local vc vr vs va vruns kc kr ks ka vnote=""
        read -r _ vc vr vs va vruns < "$TMP/result-vigil-$1"
        kc=0 kr=0 ks=0 ka=0
        [ -n "${SKIP_KEEPALIVED:-}" ] || read -r _ kc kr ks ka < "$TMP/result-keepalived-$1"
        if [ "$1" = exec ]; then
                # No backend to count them: vigil's own count of started runs
                # (a starved checker runs fewer than nominal); keepalived has
                # no counter, so its nominal count, which flatters it if late.
                vs=$vruns; [ -n "${SKIP_KEEPALIVED:-}" ] || ks=$(( $2 * DUR ))
                vnote=" (vigil: runs started; keepalived: nominal $2 x ${DUR} s)"
        fi
        ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
        per() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", c * 1e6 / n; else printf "-" }'; }
        echo "== $3: $2 checks at 1 s, ${DUR} s measured after ${WARM} s warm-up"
        printf "  %-26s %14s %14s %8s\n" "" "vigil-checkerd" "keepalived -C" "ratio"
        printf "  %-26s %14s %14s %8s%s\n" "check runs in the window" "$vs" "$ks" "$(ratio "$vs" "$ks")" "$vnote"
        printf "  %-26s %14s %14s %8s\n" "CPU seconds" "$vc" "$kc" "$(ratio "$vc" "$kc")"
        local vp kp
        vp=$(per "$vc" "$vs") kp=$(per "$kc" "$ks")
        printf "  %-26s %14s %14s %8s\n" "CPU us per check run" "$vp" "$kp" "$(ratio "$vp" "$kp")"
        printf "  %-26s %14s %14s %8s\n" "RSS kB" "$vr" "$kr" "$(ratio "$vr" "$kr")"
        # anonymous (private) part: the heap and relocated library data, not
        # the shared library text both map
        printf "  %-26s %14s %14s %8s\n" "RSS anon kB" "$va" "$ka" "$(ratio "$va" "$ka")"
        echo "  vigil Stats: $(cat "$TMP/stats-$1")"
        echo "  vigil transitions to down (0 expected, backends are healthy): $(cat "$TMP/downs-vigil-$1")"
        [ -n "${SKIP_KEEPALIVED:-}" ] ||
                echo "  keepalived failure lines (0 expected): $(cat "$TMP/downs-keepalived-$1")"
}

if [ "$N" -gt 0 ]; then
        run_vigil "$N" 0 http
        [ -n "${SKIP_KEEPALIVED:-}" ] || run_keepalived "$N" 0 http
        report http "$N" "HTTP"
fi
if [ "$NEXEC" -gt 0 ]; then
        run_vigil 0 "$NEXEC" exec
        [ -n "${SKIP_KEEPALIVED:-}" ] || run_keepalived 0 "$NEXEC" exec
        report exec "$NEXEC" "exec (/bin/true)"
fi
[ -n "${KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
