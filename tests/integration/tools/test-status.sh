#!/bin/bash
# vigilctl status and vigilctl top against the real vrrpd and checkerd on a
# private bus (issue 12, status view), with a private systemd-journald in a
# private mount namespace so the recent-events pane reads a real journal:
# - nothing running: every daemon "not running", exit 3, no D-Bus error text;
# - instance rows (state, effective/configured priority, interface/VRID,
#   master, VIPs, last transition with reason), check states, ipvsd (no IPVS
#   on this host) "not running", exit 3; --json parses and carries the same;
# - a forced transition (Demote) appears in status's events (journal) and in
#   top's events (signal, with its sequence number);
# - no colour off a TTY; colour on a TTY (script(1)) unless NO_COLOR/--no-color;
# - top: --once / --iterations frames when piped, one JSON object per line
#   with --json; on a TTY the alternate screen is entered and left on q and
#   on SIGTERM, and a resize (SIGWINCH) redraws within the new size;
# - an unprivileged reader gets the status and a clear journal note;
# - a hung vrrpd (SIGSTOP): "not answering" after one timeout;
# - checkerd stopped: "not running", the rest still shown;
# - bad usage: exit 2 with a message naming the option.
TEST_NAME=test-status
JOURNALD=$(command -v /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald | head -n1)
# A private mount namespace (before lib.sh makes its temporary directory):
# our own /run/systemd, /run/log and /var/log/journal (tmpfs), so a private
# journald never touches the host's.
if [ -z "$STATUS_TEST_UNSHARED" ] && [ -n "$JOURNALD" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    STATUS_TEST_UNSHARED=1 exec unshare -m --propagation private "$0" "$@"
fi
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
require_root
require_cmd busctl setpriv script
PY=/usr/bin/python3
for b in "$VRRPD" "$CHECKERD" "$VIGILCTL"; do [ -x "$b" ] || fail "$b not built"; done
[ -n "$STATUS_TEST_UNSHARED" ] || JOURNALD=
if [ -n "$JOURNALD" ]; then
    mkdir -p /run/systemd /run/log /var/log/journal
    for d in /run/systemd /run/log /var/log/journal; do mount -t tmpfs tmpfs "$d" || fail "mount tmpfs $d"; done
fi

bus_start
ctl() { "$VIGILCTL" "$@"; }

# ---- nothing running ----
out=$(ctl status 2>"$TEST_TMP/err"); rc=$?
assert_eq "$rc" 3 "status exit code with no daemon"
for u in vigil-vrrpd vigil-checkerd vigil-ipvsd; do assert_contains "$out" "○ $u: not running" "status without daemons"; done
[ -s "$TEST_TMP/err" ] && fail "status without daemons wrote to stderr: $(cat "$TEST_TMP/err")"
grep -qiE 'org\.freedesktop|error' <<<"$out" && fail "status without daemons shows bus errors: $out"

if [ -n "$JOURNALD" ]; then
    "$JOURNALD" >"$TEST_TMP/journald.log" 2>&1 &
    cleanup_add "kill $!"
    wait_for 10 test -S /run/systemd/journal/socket || fail "journald did not start: $(cat "$TEST_TMP/journald.log")"
    LOGT=--log-target=journal
else
    log "no systemd-journald here: the events pane is checked for its 'no journal' note only"
fi

ns=$(netns_add s)
cleanup_add "ip netns del $ns"   # netns_add's own cleanup_add ran in the $(...) subshell and is lost
veth_add "$ns" eth0 "$ns" eth1
ip -n "$ns" addr add 10.97.0.1/24 dev eth0

# a TCP listener for the up check (the down check's port has none)
ip netns exec "$ns" $PY -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7001)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' &
cleanup_add "kill $!"
wait_for 10 ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7001' || fail "TCP listener did not start"

cat > "$TEST_TMP/vigil.yaml" <<'YAML'
vrrp:
  instances:
    VI_1:
      interface: eth0
      virtual_router_id: 71
      priority: 120
      advert_interval: 200ms
      virtual_addresses: [10.97.0.100/32, 10.97.0.101/32]
    VI_2:
      interface: eth0
      virtual_router_id: 72
      priority: 90
      advert_interval: 200ms
      virtual_addresses: [10.97.0.102/32]
      track:
        checks: [{name: chk_down, weight: -20}]
checks:
  chk_up: {type: tcp, address: 127.0.0.1, port: 7001, interval: 200ms, warmup: 1ms}
  chk_down: {type: tcp, address: 127.0.0.1, port: 7002, interval: 200ms, warmup: 1ms, timeout: 500ms}
YAML
VIGIL_STATE_DIR=$TEST_TMP/state-v daemon_start_ns "$ns" vrrpd "$VRRPD" -c "$TEST_TMP/vigil.yaml" $LOGT
VIGIL_STATE_DIR=$TEST_TMP/state-c daemon_start_ns "$ns" checkerd "$CHECKERD" -c "$TEST_TMP/vigil.yaml" $LOGT
wait_for 15 bus_has_name org.vigil.Vrrp1 || fail "vrrpd did not start"
wait_for 15 bus_has_name org.vigil.Checker1 || fail "checkerd did not start"

wait_for 30 bash -c "[ \"\$($BUSCTL get-property org.vigil.Vrrp1 /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance State)\" = 's \"master\"' ]" ||
    fail "VI_1 never became master"
wait_for 20 bash -c "[ \"\$($BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1/check/chk_5fdown org.vigil.Checker1.Check State)\" = 's \"down\"' ]" ||
    fail "chk_down never went down"
wait_for 20 bash -c "[ \"\$($BUSCTL get-property org.vigil.Checker1 /org/vigil/Checker1/check/chk_5fup org.vigil.Checker1.Check State)\" = 's \"up\"' ]" ||
    fail "chk_up never went up"
wait_for 20 bash -c "[ \"\$($BUSCTL get-property org.vigil.Vrrp1 /org/vigil/Vrrp1/instance/VI_5f2 org.vigil.Vrrp1.Instance EffectivePriority)\" = 'u 70' ]" ||
    fail "VI_2's priority never followed chk_down"

# ---- status: text ----
out=$(ctl status 2>"$TEST_TMP/err"); rc=$?
echo "$out" > "$TEST_TMP/status.txt"
assert_eq "$rc" 3 "status exit code with ipvsd not running"
[ -s "$TEST_TMP/err" ] && fail "status wrote to stderr: $(cat "$TEST_TMP/err")"
assert_contains "$out" "● vigil-vrrpd: running" "vrrpd line"
assert_contains "$out" ", 2 instances" "instance count"
assert_contains "$out" "● vigil-checkerd: running" "checkerd line"
assert_contains "$out" "○ vigil-ipvsd: not running" "ipvsd line"
grep -qE '^  VI_1 +master +120/120 +eth0/71 +10\.97\.0\.1 +10\.97\.0\.100/32,10\.97\.0\.101/32 +[0-9]+s ago: .+' <<<"$out" ||
    fail "VI_1 row: $out"
grep -qE '^  VI_2 +[a-z]+ +70/90 +eth0/72 +[-0-9.]+ +10\.97\.0\.102/32 ' <<<"$out" || fail "VI_2 row: $out"
grep -qE '^  chk_down +tcp +127\.0\.0\.1:7002 +down +' <<<"$out" || fail "chk_down row: $out"
grep -qE '^  chk_up +tcp +127\.0\.0\.1:7001 +up +' <<<"$out" || fail "chk_up row: $out"
assert_contains "$out" "Checks: 1 up, 1 down, 0 unknown" "checks summary"
grep -q $'\033' <<<"$out" && fail "colour escapes off a TTY: $out"
# the header columns line up with the rows
h=$(grep -E '^  NAME +STATE +PRIO' <<<"$out" | head -n1)
r=$(grep -E '^  VI_1 ' <<<"$out")
[ "$(awk -v s="$h" 'BEGIN{print index(s, "MASTER")}')" = "$(awk -v s="$r" 'BEGIN{print index(s, "10.97.0.1 ")}')" ] ||
    fail "MASTER column not aligned:\n$h\n$r"
log "status text:"; sed 's/^/#   /' "$TEST_TMP/status.txt" >&2

# ---- a forced transition: Demote VI_1 → its events ----
ctl top --json --interval 200ms --iterations 30 >"$TEST_TMP/top.json" 2>"$TEST_TMP/top.err" &
TOP_PID=$!
cleanup_add "kill $TOP_PID 2>/dev/null"
wait_for 15 test -s "$TEST_TMP/top.json" || fail "top --json printed no frame: $(cat "$TEST_TMP/top.err")"
$BUSCTL call org.vigil.Vrrp1 /org/vigil/Vrrp1/instance/VI_5f1 org.vigil.Vrrp1.Instance Demote || fail "Demote"
wait_for 20 grep -q '"kind":"vrrp","object":"VI_1","from":"master","to":"backup"' "$TEST_TMP/top.json" ||
    fail "top never showed VI_1 master → backup: $(tail -n1 "$TEST_TMP/top.json")"
wait $TOP_PID; rc=$?
assert_eq "$rc" 0 "top --iterations exit code"
[ "$(wc -l < "$TEST_TMP/top.json")" = 30 ] || fail "top --iterations 30 printed $(wc -l < "$TEST_TMP/top.json") frames"
$PY - "$TEST_TMP/top.json" <<'PY' || fail "top --json frames"
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for f in frames for e in f["events"] if e["object"] == "VI_1" and e["to"] == "backup"]
assert ev, "no VI_1 → backup event"
e = ev[-1]
assert isinstance(e["seq"], int) and e["seq"] > 0, e       # from the signal: a sequence number
assert e["reason"], e
assert frames[-1]["daemons"]["vigil-ipvsd"]["running"] is False
assert {i["name"] for i in frames[-1]["instances"]} == {"VI_1", "VI_2"}
PY

out=$(ctl status)
if [ -n "$JOURNALD" ]; then
    assert_contains "$out" "Recent events (journal)" "events pane source"
    grep -qE '^  [0-9:]{8} +[0-9]+s ago +vrrp +VI_1 +master → backup  .+' <<<"$out" || fail "no VI_1 master → backup in status's events: $out"
    grep -qE '^  [0-9:]{8} +[0-9]+s ago +check +chk_down +[a-z]+ → down' <<<"$out" || fail "no chk_down event: $out"
    grep -qE '^  [0-9:]{8} +[0-9]+s ago +vrrp +VI_1 +init → backup' <<<"$out" || fail "no VI_1 start event: $out"
else
    assert_contains "$out" "Recent events: no journal" "events pane without a journal"
fi

# ---- status: JSON ----
ctl status --json > "$TEST_TMP/status.json"; rc=$?
assert_eq "$rc" 3 "status --json exit code"
$PY - "$TEST_TMP/status.json" "${JOURNALD:+journal}" <<'PY' || fail "status --json: $(cat "$TEST_TMP/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
d = s["daemons"]
assert d["vigil-vrrpd"]["running"] and d["vigil-checkerd"]["running"] and not d["vigil-ipvsd"]["running"], d
assert d["vigil-vrrpd"]["version"], d
inst = {i["name"]: i for i in s["instances"]}
v1 = inst["VI_1"]
assert v1["priority"] == 120 and v1["interface"] == "eth0" and v1["virtual_router_id"] == 71, v1
assert v1["virtual_addresses"] == ["10.97.0.100/32", "10.97.0.101/32"], v1
assert v1["last_transition_usec"] > 0 and v1["last_reason"], v1
assert inst["VI_2"]["effective_priority"] == 70 and inst["VI_2"]["priority"] == 90, inst["VI_2"]
chk = {c["name"]: c for c in s["checks"]}
assert chk["chk_up"]["state"] == "up" and chk["chk_down"]["state"] == "down", chk
assert chk["chk_down"]["last_error"], chk
assert s["services"] == [], s["services"]
if sys.argv[2] == "journal":
    assert s["events_source"] == "journal", s
    assert any(e["kind"] == "vrrp" and e["object"] == "VI_1" and e["to"] == "backup" and e["reason"] for e in s["events"]), s["events"]
    assert any(e["kind"] == "check" and e["object"] == "chk_down" and e["to"] == "down" for e in s["events"]), s["events"]
    assert len(s["events"]) <= 10
PY

# ---- colours: only on a TTY, never with NO_COLOR or --no-color ----
tty_out=$(script -qec "$VIGILCTL status" /dev/null)
grep -q $'\033\[32m' <<<"$tty_out" || fail "no colour on a TTY: $tty_out"
tty_out=$(NO_COLOR=1 script -qec "$VIGILCTL status" /dev/null)
grep -q $'\033' <<<"$tty_out" && fail "colour with NO_COLOR: $tty_out"
tty_out=$(script -qec "$VIGILCTL --no-color status" /dev/null)
grep -q $'\033' <<<"$tty_out" && fail "colour with --no-color: $tty_out"

# ---- top: piped frames ----
out=$(ctl top --once); rc=$?
assert_eq "$rc" 0 "top --once exit code"
assert_eq "$(grep -c '^── vigil top .*, frame [0-9]* ──$' <<<"$out")" 1 "top --once frames"
grep -qE '^  VI_1 +[a-z]+ +120/120 ' <<<"$out" || fail "top --once has no VI_1 row: $out"
assert_contains "$out" "○ vigil-ipvsd: not running" "top --once ipvsd"
out=$(ctl top --interval 200ms --iterations 3); rc=$?
assert_eq "$rc" 0 "top --iterations exit code"
assert_eq "$(grep -c '^── vigil top .*, frame [0-9]* ──$' <<<"$out")" 3 "top --iterations 3 frames"
grep -q $'\033' <<<"$out" && fail "colour escapes in piped top frames"
# a reader that goes away ends it quietly
ctl top --interval 100ms | head -n 2 >/dev/null; rc=${PIPESTATUS[0]}
assert_eq "$rc" 0 "top when the reader goes away"

# ---- top: the terminal UI ----
# q: script(1) feeds our stdin to the pty; top must leave the alternate screen and exit 0.
(sleep 2; printf q; sleep 3) | timeout 60 script -qec "$VIGILCTL top --interval 200ms" "$TEST_TMP/tty.log" >/dev/null; rc=$?
assert_eq "$rc" 0 "top on a TTY, q"
tty=$(cat "$TEST_TMP/tty.log")
assert_contains "$tty" $'\033[?1049h' "alternate screen entered"
assert_contains "$tty" $'\033[?1049l' "alternate screen left"
assert_contains "$tty" $'\033[?25h' "cursor shown again"
assert_contains "$tty" "vigil top" "top header"
assert_contains "$tty" "VI_1" "top body"
# SIGTERM: the same restoration
timeout 60 script -qfec "$VIGILCTL top --interval 200ms" "$TEST_TMP/tty2.log" </dev/null >/dev/null &
SPID=$!
wait_for 15 grep -q "VI_1" "$TEST_TMP/tty2.log" || fail "top on a TTY drew nothing"
pid=$(pgrep -n -f "^$VIGILCTL top --interval 200ms")   # vigilctl itself, not script(1) or timeout(1)
[ -n "$pid" ] || fail "cannot find top's pid"
kill -TERM "$pid"
wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || fail "top ignored SIGTERM"
wait $SPID
assert_contains "$(cat "$TEST_TMP/tty2.log")" $'\033[?1049l' "alternate screen left on SIGTERM"

# SIGWINCH: resizing the terminal (stty on top's own pty) redraws within the new
# width and height: every row of the last frame fits 50 columns and 15 rows.
timeout 60 script -qfec "stty rows 30 cols 120; exec $VIGILCTL top --interval 200ms" "$TEST_TMP/tty3.log" </dev/null >/dev/null &
SPID=$!
wait_for 15 grep -q "VI_1" "$TEST_TMP/tty3.log" || fail "top on a TTY drew nothing (resize)"
pid=$(pgrep -n -f "^$VIGILCTL top --interval 200ms")
pts=$(readlink "/proc/$pid/fd/1")
[[ $pts == /dev/pts/* ]] || fail "top's stdout is not a pty: $pts"
stty -F "$pts" rows 15 cols 50 || fail "stty -F $pts"
wait_for 15 grep -q $'\033\[2J' "$TEST_TMP/tty3.log" || fail "no redraw after SIGWINCH"
sleep 0.5   # let the redraw finish: the check below reads the last full frame
kill -TERM "$pid"
wait $SPID
$PY - "$TEST_TMP/tty3.log" <<'PY' || fail "frame after the resize does not fit 50x15"
import re, sys
raw = open(sys.argv[1], "rb").read()
frame = raw[raw.rindex(b"\x1b[2J"):]                     # from the last clear (the resize)
frame = frame[:frame.rindex(b"\x1b[?1049l")]              # up to leaving the alternate screen
rows = {}
for m in re.finditer(rb"\x1b\[(\d+);1H(.*?)(?=\x1b\[\d+;1H|\x1b\[J|$)", frame, re.S):
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", m.group(2)).decode("utf-8")
    rows[int(m.group(1))] = text
assert rows and max(rows) <= 15, sorted(rows)
assert all(len(t) <= 50 for t in rows.values()), [t for t in rows.values() if len(t) > 50]
assert rows[1].startswith("vigil top"), rows[1]
assert any("VI_1" in t for t in rows.values()), rows
PY

# ---- an unprivileged reader ----
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGILCTL" status 2>&1); rc=$?
assert_eq "$rc" 3 "status as nobody"
grep -qE '^  VI_1 +[a-z]+ +120/120 ' <<<"$out" || fail "status as nobody: $out"
if [ -n "$JOURNALD" ]; then
    assert_contains "$out" "Recent events: journal not readable by this user" "journal note as nobody"
fi

# ---- bad usage ----
for args in "status --timeout nonsense:--timeout: invalid duration 'nonsense'" \
            "status extra:status: unexpected argument 'extra'" \
            "top --interval 0:--interval: '0' must be a duration" \
            "top --iterations x:--iterations: 'x' is not a positive number" \
            "top --iterations 0:--iterations: '0' is not a positive number"; do
    a=${args%%:*}; msg=${args#*:}
    ctl $a >/dev/null 2>"$TEST_TMP/err"; rc=$?
    assert_eq "$rc" 2 "vigilctl $a exit code"
    assert_contains "$(cat "$TEST_TMP/err")" "$msg" "vigilctl $a message"
done

# ---- a hung daemon: reported at once, the others still read ----
kill -STOP "$vrrpd_PID"
out=$(ctl status --timeout 1s 2>"$TEST_TMP/err"); rc=$?
kill -CONT "$vrrpd_PID"
assert_eq "$rc" 3 "status with vrrpd stopped (SIGSTOP)"
assert_contains "$out" "● vigil-vrrpd: running, cannot read it: not answering" "hung vrrpd"
assert_contains "$out" "● vigil-checkerd: running" "checkerd beside a hung vrrpd"
grep -qE '^  chk_up ' <<<"$out" || fail "checks not shown beside a hung vrrpd: $out"
[ -s "$TEST_TMP/err" ] && fail "status with a hung vrrpd wrote to stderr: $(cat "$TEST_TMP/err")"

# ---- checkerd stopped ----
kill -TERM "$checkerd_PID"
wait_for 15 bash -c "! $BUSCTL --list --no-legend | awk '{print \$1}' | grep -qx org.vigil.Checker1" || fail "checkerd did not stop"
out=$(ctl status 2>"$TEST_TMP/err"); rc=$?
assert_eq "$rc" 3 "status with checkerd stopped"
assert_contains "$out" "○ vigil-checkerd: not running" "checkerd stopped"
grep -qE '^  VI_1 ' <<<"$out" || fail "instances gone with checkerd stopped: $out"
grep -q "^Checks" <<<"$out" && fail "checks section without checkerd: $out"
[ -s "$TEST_TMP/err" ] && fail "status with checkerd stopped wrote to stderr: $(cat "$TEST_TMP/err")"

log "PASS"
exit 0
