#!/bin/bash
# ipvsd leak check, in the qemu guest (real ip_vs): start, reload RELOADS
# times alternating two configs that add, remove and change services and
# destinations (tcp/udp/fwmark, nat/dr/tun, schedulers, persistence), each
# reload checked against the kernel (ipvsadm), SIGTERM; exit 0 and no leak.
# Sanitizer build (VM_BUILD_DIR links libasan): LeakSanitizer at exit,
# RELOADS=100. Plain build: valgrind when the guest has it (VM_EXTRA_BINS=
# valgrind VM_EXTRA_TREES=/usr/libexec/valgrind), RELOADS=10; else skip.
#   tests/vm/run tests/integration/robust/vm-ipvsd-leaks.sh
. "$(cd "$(dirname "$0")/../../.." && pwd)/tests/vm/ipvs/lib-ipvs.sh"

if grep -qa "libasan\.so" "$IPVSD"; then   # (no ldd in the guest)
    MODE=asan RELOADS=${RELOADS:-100}
    export ASAN_OPTIONS=detect_leaks=1:exitcode=66:abort_on_error=0
    WRAP=()
elif command -v valgrind >/dev/null && [ -d /usr/libexec/valgrind ]; then
    MODE=valgrind RELOADS=${RELOADS:-10}
    WRAP=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect
          --errors-for-leak-kinds=definite,indirect --error-exitcode=66 --num-callers=30
          --suppressions="$VIGIL_SOURCE_ROOT/tests/integration/robust/valgrind.supp")
else
    skip "neither a sanitizer build nor valgrind in the guest"
fi
log "mode: $MODE, $RELOADS reloads"
bus_start
ipvs_net_setup

conf() { # A|B
    {
        echo "virtual_servers:"
        echo "  - {address: 10.1.0.100, port: 80, protocol: tcp, scheduler: $([ "$1" = A ] && echo wrr || echo lc), forwarding: nat,"
        echo "     persistence: {timeout: $([ "$1" = A ] && echo 0s || echo 300s)},"
        echo "     real_servers: [{address: 10.1.0.11, port: 8080, weight: 3}, {address: 10.1.0.12, port: 8080, weight: $([ "$1" = A ] && echo 1 || echo 5)}"
        [ "$1" = B ] && echo "       , {address: 10.1.0.13, port: 8080}"
        echo "     ]}"
        echo "  - {address: 10.1.0.100, port: 53, protocol: udp, scheduler: rr, forwarding: dr,"
        echo "     real_servers: [{address: 10.2.0.21, port: 53}, {address: 10.2.0.22, port: 53}]}"
        if [ "$1" = A ]; then
            echo "  - {fwmark: 7, scheduler: sh, forwarding: tun, real_servers: [{address: 10.2.0.31}, {address: 10.2.0.32}]}"
        else
            echo "  - {address: \"2001:db8::100\", port: 443, protocol: tcp, scheduler: mh, forwarding: dr,"
            echo "     real_servers: [{address: \"2001:db8:2::41\", port: 443}]}"
        fi
    } > "$TEST_TMP/$1.yaml"
}
conf A; conf B
cp "$TEST_TMP/A.yaml" "$TEST_TMP/vigil.yaml"
for v in A B; do out=$("$IPVSD" -c "$TEST_TMP/$v.yaml" --check-config 2>&1) || fail "$v.yaml invalid: $out"; done

mkdir -p "$TEST_TMP/state"
"${WRAP[@]}" "$IPVSD" --log-target=console --log-level=info -c "$TEST_TMP/vigil.yaml" --state-dir "$TEST_TMP/state" >"$TEST_TMP/ipvsd.log" 2>&1 &
pid=$!
cleanup_add "kill -9 $pid"
wait_for 300 bus_has_name org.vigil.Ipvs1 || { tail -20 "$TEST_TMP/ipvsd.log" >&2; fail "ipvsd did not take its name"; }
wait_for 120 sh -c 'ipvsadm -Ln | grep -q "FWM  7"' || fail "config A not in the kernel: $(ipvsadm -Ln)"

for i in $(seq 1 "$RELOADS"); do
    v=$([ $((i % 2)) = 1 ] && echo B || echo A)
    cp "$TEST_TMP/$v.yaml" "$TEST_TMP/vigil.yaml"
    ipvs_call Reload >/dev/null || fail "Reload #$i failed: $(tail -5 "$TEST_TMP/ipvsd.log")"
    # every 10th: the kernel follows (the reload really changed the table)
    if [ $((i % 10)) = 0 ] || [ "$i" = 1 ]; then
        if [ "$v" = B ]; then want="2001:db8::100"; gone="FWM  7"; else want="FWM  7"; gone="2001:db8::100"; fi
        wait_for 60 sh -c "ipvsadm -Ln | grep -qF '$want' && ! ipvsadm -Ln | grep -qF '$gone'" ||
            fail "after reload #$i ($v) the kernel table is: $(ipvsadm -Ln)"
    fi
done
log "$RELOADS reloads done; the kernel follows"
ipvs_call Dump >/dev/null || fail "Dump failed"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
n=$(grep -cE 'LeakSanitizer|ERROR: AddressSanitizer|runtime error:|definitely lost in|indirectly lost in|^==[0-9]+== (Invalid|Conditional|Syscall param)' "$TEST_TMP/ipvsd.log")
log "ipvsd: exit status $rc, sanitizer/valgrind reports: $n"
if [ "$rc" != 0 ] || [ "$n" != 0 ]; then
    grep -E -A30 'LeakSanitizer|ERROR: AddressSanitizer|runtime error:|definitely lost|indirectly lost|Invalid|Conditional|Syscall param' "$TEST_TMP/ipvsd.log" | head -120 >&2
    fail "ipvsd leaked or did not exit cleanly"
fi
log "PASS: ipvsd, $RELOADS reloads, no leak ($MODE)"
