#!/bin/bash
# Reload faults (issue 11), for vrrpd (in a namespace) and checkerd, through
# Reload() on the bus and SIGHUP:
#  - a broken file (an error at a known line:col): refused, the error says
#    FILE:LINE:COL, the running config is kept (objects and states unchanged);
#  - a directory in place of the file; a dangling symlink in its place
#    (chmod 000 does not stop root): refused, the error names the file and
#    the cause, the running config is kept;
#  - the file replaced while being read: a loop renames two valid versions
#    over it while Reload() is called 30 times (every reload must succeed:
#    a rename is atomic; VI_1, the same in both versions, is never
#    restarted), and a loop rewrites it in place (truncate + write, so a
#    read may see part of a file: each reload succeeds or is refused with a
#    location, and the daemon lives on; an empty file (caught between the
#    truncation and the write) is refused on reload; a truncated file that is
#    still a valid config is applied, as written at that instant);
#    afterwards one last reload of the first version gives its objects again.
TEST_NAME=faults-reload
NET=10.85.0
. "$(dirname "$0")/faults-lib.sh"

bus_start
vrrp_lan n1
cfg=$TEST_TMP/vigil.yaml
ADVERT=100ms write_conf "$TEST_TMP/A.yaml" 150
cat >> "$TEST_TMP/A.yaml" <<'YAML'
checks:
  chk_a: {type: exec, command: [/bin/true], interval: 1s}
YAML
# B: one more instance and one more check; VI_1 and chk_a unchanged
ADVERT=100ms write_conf "$TEST_TMP/B.yaml" 150
cat >> "$TEST_TMP/B.yaml" <<YAML
    VI_2:
      interface: eth0
      virtual_router_id: 52
      priority: 100
      virtual_addresses: [$NET.60/24]
checks:
  chk_a: {type: exec, command: [/bin/true], interval: 1s}
  chk_b: {type: exec, command: [/bin/true], interval: 1s}
YAML
# broken: line 5, col 26 is the value of virtual_router_id
sed 's/virtual_router_id: 51/virtual_router_id: 999/' "$TEST_TMP/A.yaml" > "$TEST_TMP/broken.yaml"
cp "$TEST_TMP/A.yaml" "$cfg"

BUSNAME[n1]=org.vigil.Vrrp1.n1
node_start n1 "$cfg"
daemon_start checkerd "$CHECKERD" -c "$cfg"
wait_for 10 bus_has_name org.vigil.Checker1 || fail "checkerd did not take its name"
wait_state n1 VI_1 master 10
wait_for 10 check_is chk_a up || fail "chk_a not up"

declare -A MGR=([vrrpd]="org.vigil.Vrrp1.n1 /org/vigil/Vrrp1 org.vigil.Vrrp1.Manager"
                [checkerd]="org.vigil.Checker1 /org/vigil/Checker1 org.vigil.Checker1.Manager")
declare -A BNAME=([vrrpd]=org.vigil.Vrrp1.n1 [checkerd]=org.vigil.Checker1)
pid_of() { if [ "$1" = vrrpd ]; then node_pid n1; else echo "$checkerd_PID"; fi; }
reload() { $BUSCTL call ${MGR[$1]} Reload 2>&1; }
snap() { bus_snapshot "${BNAME[$1]}"; }
for d in vrrpd checkerd; do snap $d > "$TEST_TMP/A.$d"; done
lt=$(prop n1 VI_1 LastTransition)

# kept D WHAT: the running config is still A, the daemon alive
kept() {
    kill -0 "$(pid_of "$1")" || fail "$1 died on: $2"
    snap "$1" > "$TEST_TMP/now.$1"
    cmp -s "$TEST_TMP/A.$1" "$TEST_TMP/now.$1" || fail "$1 changed its objects on: $2: $(diff "$TEST_TMP/A.$1" "$TEST_TMP/now.$1" | head)"
}

for d in vrrpd checkerd; do
    # broken file, over the bus and by SIGHUP
    cp "$TEST_TMP/broken.yaml" "$cfg"
    out=$(reload $d) && fail "$d accepted a broken file"
    assert_contains "$out" "vigil.yaml:5:26" "$d: Reload() error location"
    kept $d "a broken file (Reload)"
    kill -HUP "$(pid_of $d)"
    log_file=$TEST_TMP/vrrpd_n1.log; [ $d = checkerd ] && log_file=$TEST_TMP/checkerd.log
    wait_for 5 grep -q "Reload refused" "$log_file" || fail "$d: no refusal logged for SIGHUP"
    grep -q "vigil.yaml:5:26" "$log_file" || fail "$d: SIGHUP refusal without the location"
    kept $d "a broken file (SIGHUP)"
    log "fault: $d reload of a broken file -> refused ($(grep -o 'vigil.yaml:5:26[^"]*' <<<"$out" | head -1 | cut -c1-80)), running config kept; SIGHUP: refusal logged with the location"

    # a directory in place of the file
    rm -f "$cfg"; mkdir "$cfg"
    out=$(reload $d) && fail "$d accepted a directory as its config"
    assert_contains "$out" "vigil.yaml" "$d: directory error names the file"
    kept $d "a directory in place of the file"
    log "fault: $d reload with a directory in place of the file -> refused: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
    rmdir "$cfg"

    # a dangling symlink in place of the file
    ln -s "$TEST_TMP/does-not-exist.yaml" "$cfg"
    out=$(reload $d) && fail "$d accepted a dangling symlink"
    assert_contains "$out" "vigil.yaml" "$d: dangling symlink error names the file"
    kept $d "a dangling symlink"
    log "fault: $d reload through a dangling symlink -> refused: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
    rm -f "$cfg"; cp "$TEST_TMP/A.yaml" "$cfg"

    # replaced by rename while reloading: every reload succeeds
    # (a stop file, not kill: a killed loop may leave its last cp/mv running)
    rm -f "$TEST_TMP/stop"
    ( while [ ! -e "$TEST_TMP/stop" ]; do cp "$TEST_TMP/B.yaml" "$cfg.tmp" && mv "$cfg.tmp" "$cfg"
                  cp "$TEST_TMP/A.yaml" "$cfg.tmp" && mv "$cfg.tmp" "$cfg"; done ) &
    swapper=$!
    cleanup_add "kill $swapper"
    for i in $(seq 1 30); do
        out=$(reload $d) || { touch "$TEST_TMP/stop"; fail "$d: reload $i failed while the file was renamed over: $out"; }
    done
    touch "$TEST_TMP/stop"; wait $swapper
    kill -0 "$(pid_of $d)" || fail "$d died during the rename loop"
    assert_eq "$(prop n1 VI_1 LastTransition)" "$lt" "VI_1 LastTransition after the rename loop (VI_1 is the same in A and B)"

    # rewritten in place while reloading: success or a located refusal
    ok=0; refused=0; empty=0
    rm -f "$TEST_TMP/stop"
    ( while [ ! -e "$TEST_TMP/stop" ]; do cat "$TEST_TMP/B.yaml" > "$cfg"; cat "$TEST_TMP/A.yaml" > "$cfg"; done ) &
    writer=$!
    cleanup_add "kill $writer"
    for i in $(seq 1 30); do
        if out=$(reload $d); then ok=$((ok + 1)); else
            refused=$((refused + 1))
            grep -Eq "vigil.yaml(:[0-9]+:[0-9]+)?:" <<<"$out" || { touch "$TEST_TMP/stop"; fail "$d: refusal without a location: $out"; }
            grep -q "is empty" <<<"$out" && empty=$((empty + 1))
        fi
    done
    touch "$TEST_TMP/stop"; wait $writer
    kill -0 "$(pid_of $d)" || fail "$d died during the rewrite loop"
    cp "$TEST_TMP/A.yaml" "$cfg"
    out=$(reload $d) || fail "$d: final reload of A failed: $out"
    [ $d = checkerd ] && wait_for 10 check_is chk_a up
    # a partial file may have restarted VI_1: its transition time and reason may differ
    strip() { grep -v "LastTransition\|LastReason" "$1"; }
    wait_for 15 eval 'snap $d > "$TEST_TMP/now.$d"; cmp -s <(strip "$TEST_TMP/A.$d") <(strip "$TEST_TMP/now.$d")' ||
        fail "$d: objects after the final reload differ from A: $(diff "$TEST_TMP/A.$d" "$TEST_TMP/now.$d" | head)"
    restarts=""
    [ $d = vrrpd ] && restarts=", VI_1 restarted by partial files: $(grep -c "Configuration changed, restarting instance" "$TEST_TMP/vrrpd_n1.log")x"
    log "fault: $d reloads while the file is renamed over (30/30 ok, nothing restarted) and rewritten in place" \
        "($ok ok, $refused refused with a location, $empty of them an empty file$restarts) -> no crash, final reload gives A's objects and states"
    lt=$(prop n1 VI_1 LastTransition)
done
log "PASS"
