#!/bin/bash
# vigilctl status and top at scale (issue 12: "stable and aligned for 100
# instances / 1000 real servers"): a stand-in for the three daemons on a
# private bus serves, through the same bus API (DESIGN §6: List*, Version,
# GetManagedObjects), 100 VRRP instances, 1000 inline checks and 100 IPVS
# services of 10 real servers each, some of them down. Checks the summaries
# (unhealthy destinations only, "+N" VIPs, checks not up), --all, column
# alignment across all rows, JSON sizes, and top --once. The real daemons'
# rows are covered by test-status.sh and vm-status-ipvs; this is layout.
# Timings are logged, not asserted.
TEST_NAME=test-status-scale
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"
PY=/usr/bin/python3
[ -x "$VIGILCTL" ] || fail "$VIGILCTL not built"
$PY -c 'import dbus, dbus.service, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null ||
    skip "python3-dbus / python3-gi missing"
bus_start

cat > "$TEST_TMP/fake.py" <<'PY'
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
V = dbus.String("0.1.0-fake")
NOW = dbus.UInt64(int(GLib.get_real_time()) - 90 * 1000000)
OM, PROPS = "org.freedesktop.DBus.ObjectManager", "org.freedesktop.DBus.Properties"

def esc(s):  # sd_bus_path_encode
    return "".join(c if c.isalnum() else "_%02x" % ord(c) for c in s)

def instance(i):
    vips = ["10.100.%d.%d/32" % (i, k) for k in range(1 + (i % 5))]
    return {"Name": dbus.String("VI_%03d" % i), "State": dbus.String("master" if i % 2 else "backup"),
            "Priority": dbus.UInt32(100 + i), "EffectivePriority": dbus.UInt32(100 + i - (20 if i % 10 == 0 else 0)),
            "MasterAddress": dbus.String("10.99.0.%d" % (1 + i % 2)), "VirtualAddresses": dbus.Array(vips, signature="s"),
            "LastTransition": NOW, "LastReason": dbus.String("priority %d > %d" % (100 + i, 90)), "LastError": dbus.String(""),
            "Counters": dbus.Dictionary({"adverts_sent": dbus.UInt64(i)}, signature="st"),
            "Interface": dbus.String("eth%d" % (i % 4)), "VirtualRouterId": dbus.UInt32(i), "Version": dbus.UInt32(3),
            "SyncGroup": dbus.String("")}

def down(s, d):  # 7 real servers down
    return (s * 10 + d) in (5, 17, 230, 451, 452, 777, 999)

def svc_id(s): return "tcp:10.200.%d.%d:80" % (s // 256, s % 256)
def rs_addr(s, d): return "192.168.%d.%d" % (s, d + 1)

def check(n):
    s, d = divmod(n, 10)
    name = "%s/%s:8080" % (svc_id(s), rs_addr(s, d))
    return {"Name": dbus.String(name), "Target": dbus.String("%s:8080" % rs_addr(s, d)), "Type": dbus.String("tcp"),
            "State": dbus.String("down" if down(s, d) else "up"), "Weight": dbus.Int32(0),
            "LastError": dbus.String("connect: Connection refused" if down(s, d) else ""), "LastChange": NOW,
            "Counters": dbus.Dictionary({"runs": dbus.UInt64(n)}, signature="st"), "Shared": dbus.Boolean(False)}

def service(s):
    dests = [dbus.Struct((rs_addr(s, d), dbus.UInt16(8080), dbus.Int32(0 if down(s, d) else 1 + d % 3), dbus.UInt32(0),
                          dbus.UInt32(0), dbus.UInt32(d * 3), dbus.UInt32(d * 40), dbus.UInt32(0), "nat"),
                         signature="sqiuuuuus") for d in range(10)]
    st = lambda k: dbus.Dictionary({"conns": dbus.UInt64(k * 12345), "cps": dbus.UInt64(k), "inbps": dbus.UInt64(k * 999999),
                                    "outbps": dbus.UInt64(k * 5000000)}, signature="st")
    dstats = [dbus.Struct((rs_addr(s, d), dbus.UInt16(8080), st(d)), signature="sqa{st}") for d in range(10)]
    return {"Id": dbus.String(svc_id(s)), "ConfigId": dbus.String(svc_id(s)), "Managed": dbus.Boolean(True),
            "Family": dbus.String("inet"), "Protocol": dbus.String("tcp"), "Address": dbus.String(svc_id(s)[4:-3]),
            "Port": dbus.UInt16(80), "Fwmark": dbus.UInt32(0), "Scheduler": dbus.String("wlc"),
            "Flags": dbus.Array([], signature="s"), "PersistenceTimeout": dbus.UInt32(0),
            "PersistenceNetmask": dbus.String("255.255.255.255"),
            "Destinations": dbus.Array(dests, signature="(sqiuuuuus)"), "Stats": st(s),
            "DestinationStats": dbus.Array(dstats, signature="(sqa{st})")}

class Manager(dbus.service.Object):
    def __init__(self, name, path, iface, obj_iface, prefix, objects, list_method):
        self.names = [dbus.service.BusName(name, bus)]
        self.iface, self.obj_iface = iface, obj_iface
        self.objects = {prefix + "/" + esc(str(o["Name" if "Name" in o else "Id"])): o for o in objects}
        self.list_method = list_method
        dbus.service.Object.__init__(self, bus, path)

    @dbus.service.method(OM, out_signature="a{oa{sa{sv}}}")
    def GetManagedObjects(self):
        return {dbus.ObjectPath(p): {self.obj_iface: dbus.Dictionary(o, signature="sv")} for p, o in self.objects.items()}

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, prop):
        if prop == "Version":
            return V
        raise dbus.exceptions.DBusException("no such property", name="org.freedesktop.DBus.Error.UnknownProperty")

    def List(self):
        return [(str(o.get("Name", o.get("Id"))), dbus.ObjectPath(p)) for p, o in self.objects.items()]

vr = Manager("org.vigil.Vrrp1", "/org/vigil/Vrrp1", "org.vigil.Vrrp1.Manager", "org.vigil.Vrrp1.Instance",
             "/org/vigil/Vrrp1/instance", [instance(i) for i in range(1, 101)], "ListInstances")
ck = Manager("org.vigil.Checker1", "/org/vigil/Checker1", "org.vigil.Checker1.Manager", "org.vigil.Checker1.Check",
             "/org/vigil/Checker1/check", [check(n) for n in range(1000)], "ListChecks")

class IpvsManager(Manager):
    @dbus.service.method("org.vigil.Ipvs1.Manager", out_signature="a(so)")
    def ListServices(self):
        return self.List()

iv = IpvsManager("org.vigil.Ipvs1", "/org/vigil/Ipvs1", "org.vigil.Ipvs1.Manager", "org.vigil.Ipvs1.Service",
                 "/org/vigil/Ipvs1/service", [service(s) for s in range(100)], "ListServices")
print("ready", flush=True)
GLib.MainLoop().run()
PY
$PY "$TEST_TMP/fake.py" "$DBUS_SYSTEM_BUS_ADDRESS" > "$TEST_TMP/fake.log" 2>&1 &
cleanup_add "kill $!"
wait_for 30 grep -q ready "$TEST_TMP/fake.log" || fail "the stand-in did not start: $(cat "$TEST_TMP/fake.log")"
for n in org.vigil.Vrrp1 org.vigil.Checker1 org.vigil.Ipvs1; do wait_for 10 bus_has_name $n || fail "$n not owned"; done

t0=$(now_ns)
out=$("$VIGILCTL" status 2>"$TEST_TMP/err"); rc=$?
log "status (summaries): $(( ($(now_ns) - t0) / 1000000 )) ms, $(wc -l <<<"$out") lines"
assert_eq "$rc" 0 "status exit code with all three answering"
[ -s "$TEST_TMP/err" ] && fail "status wrote to stderr: $(cat "$TEST_TMP/err")"
echo "$out" > "$TEST_TMP/status.txt"
for u in vigil-vrrpd vigil-checkerd vigil-ipvsd; do assert_contains "$out" "● $u: running (version 0.1.0-fake)" "$u line"; done
assert_contains "$out" ", 100 instances" "instance count"
assert_contains "$out" ", 1000 checks" "check count"
assert_contains "$out" ", 100 services" "service count"
# every instance, one row each, the STATE column at one offset
assert_eq "$(grep -cE '^  VI_[0-9]{3} ' <<<"$out")" 100 "instance rows"
hdr=$(grep -E '^  NAME +STATE +PRIO +IF/VRID' <<<"$out")
col() { awk -v s="$1" -v w="$2" 'BEGIN { print index(s, w) }'; }
for w in STATE PRIO IF/VRID MASTER VIPS "LAST TRANSITION"; do
    c=$(col "$hdr" "$w")
    bad=$(grep -E '^  VI_[0-9]{3} ' <<<"$out" | awk -v c="$c" 'substr($0, c - 1, 1) != " " || substr($0, c, 1) == " "' | head -n1)
    [ -z "$bad" ] || fail "column $w (at $c) not aligned: $hdr / $bad"
done
grep -qE '^  VI_004 +backup +104/104 +eth0/4 +10\.99\.0\.1 +10\.100\.4\.0/32,10\.100\.4\.1/32,10\.100\.4\.2/32 \+2 +1m[0-9]{2}s ago: priority 104 > 90$' <<<"$out" ||
    fail "VI_004 row (VIPs +2, age): $(grep 'VI_004' <<<"$out")"
grep -qE '^  VI_010 +backup +90/110 ' <<<"$out" || fail "VI_010 effective/configured priority: $(grep 'VI_010' <<<"$out")"
# checks: 1000 > 20: only the 7 down ones, and how many are hidden
assert_contains "$out" "Checks: 993 up, 7 down, 0 unknown" "checks summary"
assert_eq "$(grep -cE '^  tcp:10\.200\.[0-9.]+:80/192\.168\.[0-9.]+:8080 +tcp ' <<<"$out")" 7 "check rows"
assert_contains "$out" "(993 up not shown; --all lists them)" "hidden checks"
# services: 1000 destinations > 64: only the 7 unhealthy ones, under their services
assert_contains "$out" "Virtual services: 100, 1000 destinations" "services title"
assert_eq "$(grep -cE '^  tcp:10\.200\.[0-9.]+:80 wlc ' <<<"$out")" 100 "service rows"
assert_eq "$(grep -cE '^    → ' <<<"$out")" 7 "destination rows"
grep -qE '^    → 192\.168\.45\.2:8080 +nat +0 +down +3 +40 +12\.3K +1 +1\.0M +5\.0M  check tcp:10\.200\.0\.45:80/192\.168\.45\.2:8080$' <<<"$out" ||
    fail "destination row 45/1: $(grep -A3 'tcp:10.200.0.45:80 ' <<<"$out")"
assert_contains "$out" "(993 healthy destinations not shown; --all lists them)" "hidden healthy destinations"
assert_eq "$(wc -l <<<"$out")" 230 "status lines (3 daemons, 100 instances, 7 checks, 100 services, 7 destinations, titles)"
grep -qE '^  tcp:10\.200\.0\.45:80 wlc +[0-9]+ +8/10 ' <<<"$out" || fail "health summary of service 45: $(grep 'tcp:10.200.0.45:80 ' <<<"$out")"

# --all: every row; WEIGHT aligned on every service and destination row
t0=$(now_ns)
all=$("$VIGILCTL" status --all)
log "status --all: $(( ($(now_ns) - t0) / 1000000 )) ms, $(wc -l <<<"$all") lines"
assert_eq "$(grep -cE '^    → ' <<<"$all")" 1000 "--all destination rows"
assert_eq "$(grep -cE '^  tcp:10\.200\.[0-9.]+:80/192\.168\.[0-9.]+:8080 +tcp ' <<<"$all")" 1000 "--all check rows"
grep -q "not shown" <<<"$all" && fail "--all still summarises"
grep -q '10.100.4.3/32,10.100.4.4/32' <<<"$all" || fail "--all does not list every VIP"
hdr=$(grep -E '^  SERVICE / DESTINATION' <<<"$all")
p=$(( $(col "$hdr" WEIGHT) + 5 ))   # where WEIGHT ends
bad=$(grep -E '^  tcp:10\.200\.[0-9.]+:80 wlc ' <<<"$all" | awk -v p="$p" 'substr($0, p, 1) !~ /[0-9]/ || substr($0, p + 1, 1) != " "' | head -n1)
[ -z "$bad" ] || fail "service WEIGHT not aligned: $hdr / $bad"
# destination rows carry "→": 3 bytes for 1 column
bad=$(grep -E '^    → ' <<<"$all" | awk -v p="$((p + 2))" 'substr($0, p, 1) !~ /[0-9]/ || substr($0, p + 1, 1) != " "' | head -n1)
[ -z "$bad" ] || fail "destination WEIGHT not aligned: $hdr / $bad"

# JSON: everything, never summarised
"$VIGILCTL" --json status > "$TEST_TMP/s.json" || fail "status --json"
$PY - "$TEST_TMP/s.json" <<'PY' || fail "status --json at scale"
import json, sys
s = json.load(open(sys.argv[1]))
assert len(s["instances"]) == 100 and len(s["checks"]) == 1000 and len(s["services"]) == 100
dests = [d for x in s["services"] for d in x["destinations"]]
assert len(dests) == 1000
assert sum(d["health"] == "down" for d in dests) == 7 and sum(d["health"] == "up" for d in dests) == 993
assert all(d["check"] == "%s/%s:8080" % (x["id"], d["address"]) for x in s["services"] for d in x["destinations"])
PY

# top --once at this size (piped: a frame; the summaries apply)
t0=$(now_ns)
top=$("$VIGILCTL" top --once) || fail "top --once"
log "top --once: $(( ($(now_ns) - t0) / 1000000 )) ms"
assert_eq "$(grep -cE '^  VI_[0-9]{3} ' <<<"$top")" 100 "top instance rows"
assert_eq "$(grep -cE '^    → ' <<<"$top")" 7 "top destination rows"
log "PASS"
