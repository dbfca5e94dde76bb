#!/bin/bash
# Benchmark (not a test): programming large IPVS tables, vigil-ipvsd against
# `ipvsadm -R` of the same table, in the same guest run. Run on the host as
#   VM_BUILD_DIR=build tests/vm/run bench/ipvs-table.sh [N]
# (the guest has the real ip_vs; the host kernel may not). Prints one line per
# case with both times and the ratio (ipvsadm / vigil: > 1 means vigil is faster).
#   1 service × N dests from empty
#   N services × 1 dest from empty
#   one weight change in the N-dest table (vigil: SetWeight, and a Reload of an
#   edited config; ipvsadm: -e, and the full -C + -R people script)

N=${1:-10000}
TEST_NAME=ipvs-bench
. "$(dirname "$0")/../tests/vm/ipvs/lib-ipvs.sh"
bus_start
cleanup_add "ipvsadm -C"

# busybox date has no %N: use /proc/uptime (10 ms resolution) instead
now_ms() { local u; read -r u _ < /proc/uptime; echo $(( ${u%.*} * 1000 + 10#${u#*.} * 10 )); }

gen() { # KIND(one|many) N → $TEST_TMP/KIND.{yaml,save}; awk: a bash loop is slow under TCG
    local kind=$1 n=$2
    awk -v n="$n" -v kind="$kind" -v yaml="$TEST_TMP/$kind.yaml" -v save="$TEST_TMP/$kind.save" 'BEGIN {
        print "ipvs: {reconcile_interval: 1h}" > yaml
        print "virtual_servers:" > yaml
        if (kind == "one") {
            print "  - {address: 10.1.0.100, port: 80, scheduler: wrr, forwarding: nat, real_servers: [" > yaml
            print "-A -t 10.1.0.100:80 -s wrr" > save
            for (i = 0; i < n; i++) {
                a = sprintf("10.%d.%d.%d", 100 + int(i / 65536), int(i / 256) % 256, i % 256)
                printf "      {address: %s, port: 8080}%s\n", a, (i < n - 1 ? "," : "") > yaml
                printf "-a -t 10.1.0.100:80 -r %s:8080 -m -w 1\n", a > save
            }
            print "    ]}" > yaml
        } else {
            for (i = 0; i < n; i++) {
                printf "  - {address: 10.1.0.100, port: %d, scheduler: rr, forwarding: nat, real_servers: [{address: 10.2.0.1, port: 8080}]}\n", 1000 + i > yaml
                printf "-A -t 10.1.0.100:%d -s rr\n-a -t 10.1.0.100:%d -r 10.2.0.1:8080 -m -w 1\n", 1000 + i, 1000 + i > save
            }
        }
    }'
}

count_entries() { ipvsadm -Sn | wc -l; }
# A clean kernel for every timed run: after ipvsadm -C the deleted dests sit in
# IPVS's trash for a minute and every new dest walks that list, which would
# penalize whichever side runs second. Reloading the module empties it.
reset_ipvs() {
    ipvsadm -C
    local mods
    mods=$(awk '$1 ~ /^ip_vs_/ {print $1}' /proc/modules)
    if rmmod $mods ip_vs 2>/dev/null; then
        modprobe -a ip_vs ip_vs_rr ip_vs_wrr
    else
        log "ip_vs in use: waiting for its trash to drain instead"; sleep 130
    fi
}
# not "ipvsadm -Sn | grep -q": with pipefail, grep leaving early fails the pipe (SIGPIPE)
has_line() { ipvsadm -Sn > "$TEST_TMP/cur"; grep -q -- "$1" "$TEST_TMP/cur"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }

bench_from_empty() { # KIND
    local kind=$1 t0 t1 ta tv want internal
    reset_ipvs
    want=$(wc -l < "$TEST_TMP/$kind.save")
    t0=$(now_ms); ipvsadm -R < "$TEST_TMP/$kind.save" || fail "ipvsadm -R"; t1=$(now_ms)
    ta=$((t1 - t0))
    assert_eq "$(count_entries)" "$want" "entries after ipvsadm -R ($kind)"
    reset_ipvs
    rm -rf "$TEST_TMP/state"
    # from exec to "started" in its log (ready on the bus, table programmed);
    # polled with bash builtins: a busctl exec costs seconds under TCG
    rm -f "$TEST_TMP/ipvsd.log"
    local t_start="" t_applied="" l
    t0=$(now_ms)
    daemon_start ipvsd "$IPVSD" -c "$TEST_TMP/$kind.yaml" --state-dir "$TEST_TMP/state" --log-level=info
    while :; do
        l=$( [ -f "$TEST_TMP/ipvsd.log" ] && echo "$(< "$TEST_TMP/ipvsd.log")" )
        [ -z "$t_start" ] && [[ $l == *"recorded as vigil"* ]] && t_start=$(now_ms)
        [ -z "$t_applied" ] && [[ $l == *"IPVS: applied"* ]] && t_applied=$(now_ms)
        [[ $l == *"started (config"* ]] && break
        kill -0 "$ipvsd_PID" 2>/dev/null || { cat "$TEST_TMP/ipvsd.log"; fail "ipvsd died"; }
        sleep 0.02
    done
    t1=$(now_ms)
    tv=$((t1 - t0))
    log "vigil-ipvsd $kind: exec → config loaded and bus connected $((t_start - t0)) ms, → table programmed $((t_applied - t_start)) ms, → ready $((t1 - t_applied)) ms"
    assert_eq "$(count_entries)" "$want" "entries after vigil-ipvsd ($kind)"
    internal=$(grep -o 'applied [0-9]* change(s), 0 failed, in [0-9.]* ms (dump [0-9.]*, diff [0-9.]*, netlink [0-9.]*; [0-9]* sendmsg' "$TEST_TMP/ipvsd.log" | tail -1)
    printf '%-28s ipvsadm -R %7d ms   vigil-ipvsd %7d ms (start to ready; %s)   ratio %sx\n' \
        "$kind=$N from empty" "$ta" "$tv" "$internal" "$(ratio "$ta" "$tv")"
    echo "$kind $ta $tv" >> "$TEST_TMP/results"
}

gen one "$N"
gen many "$N"
log "generated: $(wc -l < "$TEST_TMP/one.save") and $(wc -l < "$TEST_TMP/many.save") ipvsadm lines"

bench_from_empty one
stop_ipvsd
bench_from_empty many
stop_ipvsd

# ---- one weight change in the 1 × N table ----
bench_from_empty one >/dev/null
before=$($BUSCTL get-property org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Counters | grep -o '"sendmsg" [0-9]*' | awk '{print $2}')
t0=$(now_ms); ipvs_call SetWeight ssi tcp:10.1.0.100:80 10.100.0.7:8080 5 >/dev/null || fail "SetWeight"; t1=$(now_ms)
tv=$((t1 - t0))
after=$($BUSCTL get-property org.vigil.Ipvs1 /org/vigil/Ipvs1 org.vigil.Ipvs1.Manager Counters)
ops=$(grep -o '"last_ops" [0-9]*' <<<"$after" | awk '{print $2}')
sends=$(( $(grep -o '"sendmsg" [0-9]*' <<<"$after" | awk '{print $2}') - before ))
has_line '-r 10.100.0.7:8080 -m -w 5' || fail "SetWeight not applied"
t0=$(now_ms); ipvsadm -e -t 10.1.0.100:80 -r 10.100.0.7:8080 -m -w 6 || fail "ipvsadm -e"; t1=$(now_ms)
te=$((t1 - t0))
t0=$(now_ms); { ipvsadm -C && ipvsadm -R < "$TEST_TMP/one.save"; } || fail "ipvsadm -C -R"; t1=$(now_ms)   # as people script it: trash and all
tr=$((t1 - t0))
printf '%-28s ipvsadm -e %7d ms   ipvsadm -C;-R %7d ms   vigil SetWeight %5d ms (%s netlink op(s), %s sendmsg)   ratio vs -R %sx\n' \
    "1 weight in 1x$N" "$te" "$tr" "$tv" "$ops" "$sends" "$(ratio "$tr" "$tv")"
sw=$(grep 'IPVS: applied' "$TEST_TMP/ipvsd.log" | tail -1 | sed 's/.*IPVS: //; s/ (\.\..*//')
printf '%-28s vigil SetWeight inside the daemon: %s\n' "1 weight in 1x$N" "$sw"
# the same change as a config edit + Reload (config parse, dump of the table, diff, 1 op)
ipvs_call Reload >/dev/null   # the table was rebuilt by ipvsadm -R above: this pass re-adopts it
sed -i 's/{address: 10.100.0.9, port: 8080}/{address: 10.100.0.9, port: 8080, weight: 7}/' "$TEST_TMP/one.yaml"
t0=$(now_ms); ipvs_call Reload >/dev/null || fail "Reload"; t1=$(now_ms)
has_line '-r 10.100.0.9:8080 -m -w 7' || fail "Reload edit not applied"
last=$(grep 'applied' "$TEST_TMP/ipvsd.log" | tail -1 | sed 's/.*IPVS: //; s/ (\.\..*//')
printf '%-28s vigil Reload of an edited config %d ms: %s\n' "1 weight in 1x$N" "$((t1 - t0))" "$last"
echo "PASS: bench done"
