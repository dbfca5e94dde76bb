#!/bin/bash
# vigilctl status with the real vigil-ipvsd and vigil-checkerd (vm suite: the
# host has no ip_vs). The guest (test-status-ipvs-guest.sh) checks the text;
# here its --json and a top --json frame are parsed and their values checked:
# per-destination weight, health from the bound check, connections summing
# to the requests sent, the 70 unchecked real servers of the second service.
VIGIL_SOURCE_ROOT=${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
VIGIL_BUILD_ROOT=${VIGIL_BUILD_ROOT:-$VIGIL_SOURCE_ROOT/build}
HERE=$VIGIL_SOURCE_ROOT/tests/integration/tools
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
out=$(mktemp -d "$VIGIL_BUILD_ROOT/status-ipvs.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
chmod 755 "$out"
VM_BUILD_DIR=$VIGIL_BUILD_ROOT VM_TIMEOUT=${VM_TIMEOUT:-400} "$VIGIL_SOURCE_ROOT/tests/vm/run" "$HERE/test-status-ipvs-guest.sh" "$out"
rc=$?
[ $rc -eq 0 ] || exit $rc
n=$(cat "$out/n") || { echo "FAIL: the guest wrote no results" >&2; exit 1; }
/usr/bin/python3 - "$out/status.json" "$out/top.json" "$n" <<'PY' || { echo "FAIL: status JSON" >&2; exit 1; }
import json, sys
n = int(sys.argv[3])
s = json.load(open(sys.argv[1]))
frames = [json.loads(l) for l in open(sys.argv[2])]
assert len(frames) == 1, len(frames)
for doc in (s, frames[0]):
    d = doc["daemons"]
    assert d["vigil-ipvsd"]["running"] and d["vigil-checkerd"]["running"] and not d["vigil-vrrpd"]["running"], d
    svc = {x["id"]: x for x in doc["services"]}
    assert set(svc) == {"tcp:10.10.0.100:80", "tcp:10.10.0.100:81"}, list(svc)
    a = svc["tcp:10.10.0.100:80"]
    assert a["config_id"] == "tcp:10.10.0.100:80" and a["managed"] and a["scheduler"] == "wrr", a
    dst = {x["address"]: x for x in a["destinations"]}
    r1, r2, r3 = dst["10.20.0.2"], dst["10.20.0.3"], dst["10.20.0.4"]
    assert (r1["weight"], r1["health"], r1["check"]) == (3, "up", "tcp:10.10.0.100:80/10.20.0.2:8080"), r1
    assert (r2["weight"], r2["health"], r2["check"]) == (0, "down", "chk_rs2"), r2
    assert (r3["weight"], r3["health"], r3["check"]) == (1, "-", None), r3
    assert all(x["port"] == 8080 and x["forwarding"] == "nat" for x in dst.values()), dst
    assert r2["conns"] == 0 and r1["conns"] > 0, (r1, r2)
    assert r1["conns"] + r3["conns"] == n and a["conns"] == n, (a["conns"], r1["conns"], r3["conns"], n)
    b = svc["tcp:10.10.0.100:81"]
    assert len(b["destinations"]) == 70 and all(x["health"] == "-" and x["weight"] == 1 for x in b["destinations"]), b
    chk = {c["name"]: c["state"] for c in doc["checks"]}
    assert chk == {"chk_rs2": "down", "tcp:10.10.0.100:80/10.20.0.2:8080": "up"}, chk
PY
echo "# guest's status text:"; sed 's/^/#   /' "$out/status.txt" | head -30
grep -q "10.20.0.3:8080" "$out/status-all.txt" || { echo "FAIL: no --all output" >&2; exit 1; }
echo "# OK"
