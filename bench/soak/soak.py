#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The soak's driver (bench/soak/run starts the daemons): flaps real servers
and VRRP priorities at random, samples RSS and checks the invariants every
SAMPLE seconds, and prints the summary. One process, one loop: flaps and
samples never race each other."""
import argparse, json, os, random, subprocess, sys, time

ap = argparse.ArgumentParser()
for a in ("vigilctl", "bus", "ns1", "ns2", "ns-s", "out"):
    ap.add_argument("--" + a, required=True)
for a in ("pid-vrrpd1", "pid-vrrpd2", "pid-checkerd"):
    ap.add_argument("--" + a, type=int, required=True)
ap.add_argument("--duration", type=float, default=600)
ap.add_argument("--sample", type=float, default=5)
ap.add_argument("--seed", type=int, default=None)
o = ap.parse_args()
rnd = random.Random(o.seed)
env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=o.bus)
NS = {"n1": o.ns1, "n2": o.ns2}
PIDS = {"vrrpd_n1": o.pid_vrrpd1, "vrrpd_n2": o.pid_vrrpd2, "checkerd": o.pid_checkerd}
# a flapped check must show it after fall x (interval 2 s + timeout 1 s) + slack
CHECK_SETTLE = 3 * 3 + 5


def run(*cmd, check=True):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=check, timeout=120).stdout


def vigilctl_json(what, node=None):
    e = dict(env)
    if node:
        e["VIGIL_VRRP_BUS_NAME"] = "org.vigil.Vrrp1." + node
    out = subprocess.run([o.vigilctl, "--json", what], env=e, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"vigilctl {what} ({node}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def vips(node):
    out = run("ip", "-n", NS[node], "-4", "-o", "addr", "show", "dev", "eth0")
    return {l.split()[3] for l in out.splitlines()}


backends = [f"127.0.{v}.{r}" for v in range(1, 11) for r in range(1, 101)]
down = {}        # address -> True (down) / False (up)
flapped_at = {}  # address -> time of its last flap
paths = {}       # (node, instance) -> object path
suspect = {"two-masters": set(), "bus-vs-kernel": set()}  # seen in the previous sample
violations = []
bus_failures = []  # bus calls that failed (the machine's load shows here first)
start = time.monotonic()
warm = max(60.0, o.duration / 5)
rss_warm = None
samples = 0
next_flap = next_prio = next_sample = start + 10  # let everything come up first
out = open(o.out, "w")
out.write("t\t" + "\t".join(PIDS) + "\tmasters\tchecks_down\tviolations\n")
n_flaps = n_prio = n_evals = 0

while True:
    now = time.monotonic()
    if now - start >= o.duration:
        break
    for name, pid in PIDS.items():
        if not os.path.exists(f"/proc/{pid}"):
            violations.append(f"t={now - start:.0f}s: {name} (pid {pid}) exited")
            print(violations[-1], file=sys.stderr)
            o.duration = 0
    if now >= next_flap:
        a = rnd.choice(backends)
        down[a] = not down.get(a, False)
        run("ip", "netns", "exec", o.ns_s, "nft", ("add" if down[a] else "delete"), "element", "inet", "soak", "down",
            "{ " + a + " }")
        flapped_at[a] = now
        n_flaps += 1
        next_flap = now + 0.5
    if now >= next_prio:
        try:
            node = rnd.choice(["n1", "n2"])
            k = rnd.randint(1, 100)
            if (node, k) not in paths:
                for i in vigilctl_json("instances", node):
                    paths[(node, int(i["name"][3:]))] = i["path"]
            run("busctl", "--address=" + o.bus, "call", "org.vigil.Vrrp1." + node, paths[(node, k)],
                "org.vigil.Vrrp1.Instance", "SetPriority", "u", str(rnd.choice([50, 100, 150, 200])))
            n_prio += 1
        except (RuntimeError, subprocess.SubprocessError, json.JSONDecodeError) as e:
            # a daemon that does not answer within vigilctl's/busctl's timeout: noted, skipped
            bus_failures.append(f"t={now - start:.0f}s: priority flap skipped: {e}")
            print("# " + bus_failures[-1], file=sys.stderr)
        next_prio = now + 2
    if now >= next_sample:
        try:
            t = now - start
            rss = {n: rss_kb(p) for n, p in PIDS.items()}
            if rss_warm is None and t >= warm:
                rss_warm = dict(rss, t=t)
            state = {}
            kernel = {}
            for node in ("n1", "n2"):
                kernel[node] = vips(node)
                for i in vigilctl_json("instances", node):
                    state[(node, i["name"])] = (i["state"], set(i.get("virtual_addresses", [])))
            names = sorted({n for (_, n) in state})
            masters = 0
            now_suspect = {"two-masters": set(), "bus-vs-kernel": set()}
            for name in names:
                m = [node for node in ("n1", "n2") if state.get((node, name), ("",))[0] == "master"]
                masters += len(m)
                if len(m) > 1:
                    now_suspect["two-masters"].add(name)
                for node in ("n1", "n2"):
                    st, want = state.get((node, name), ("missing", set()))
                    has = bool(want) and want <= kernel[node]
                    if (st == "master") != has:
                        now_suspect["bus-vs-kernel"].add(f"{node}/{name} ({st}, VIP {'present' if has else 'absent'})")
            for kind, cur in now_suspect.items():
                for x in sorted(cur & suspect[kind]):
                    violations.append(f"t={t:.0f}s: {kind}: {x}, in two samples {o.sample:.0f} s apart")
                    print(violations[-1], file=sys.stderr)
                suspect[kind] = cur
            checks = vigilctl_json("checks")
            n_down = 0
            for c in checks:
                addr = c.get("target", "").rsplit(":", 1)[0]
                n_down += c.get("state") == "down"
                if addr in flapped_at and now - flapped_at[addr] > CHECK_SETTLE:
                    n_evals += 1
                    want = "down" if down[addr] else "up"
                    if c.get("state") != want:
                        violations.append(f"t={t:.0f}s: check stuck: {c.get('name')} {c.get('target')} is {c.get('state')}, "
                                          f"the server went {want} {now - flapped_at[addr]:.0f} s ago")
                        print(violations[-1], file=sys.stderr)
            out.write(f"{t:.0f}\t" + "\t".join(str(rss[n]) for n in PIDS) + f"\t{masters}\t{n_down}\t{len(violations)}\n")
            out.flush()
            samples += 1
            if samples % 12 == 0:
                print(f"# t={t:.0f}s rss(kB) " + " ".join(f"{n}={v}" for n, v in rss.items()) +
                      f" masters={masters} checks_down={n_down} flaps={n_flaps} priority_changes={n_prio} violations={len(violations)}",
                      file=sys.stderr)
        except (RuntimeError, subprocess.SubprocessError, json.JSONDecodeError) as e:
            # a daemon that does not answer within vigilctl's/busctl's timeout: noted, skipped
            bus_failures.append(f"t={now - start:.0f}s: sample skipped: {e}")
            print("# " + bus_failures[-1], file=sys.stderr)
        next_sample = now + o.sample
    time.sleep(max(0.0, min(next_flap, next_prio, next_sample) - time.monotonic()))

end = {n: rss_kb(p) for n, p in PIDS.items() if os.path.exists(f"/proc/{p}")}
print(f"soak: {time.monotonic() - start:.0f} s, {samples} samples, {n_flaps} real-server flaps, {n_prio} priority changes")
if rss_warm:
    print(f"RSS (kB) after warm-up (t={rss_warm['t']:.0f} s) -> end, growth:")
    for n in PIDS:
        if n in end:
            print(f"  {n:10s} {rss_warm[n]:8d} -> {end[n]:8d}   {end[n] - rss_warm[n]:+d} kB")
else:
    print("RSS: the run ended before the warm-up did")
print(f"invariant checks: {samples} samples x 100 VRIDs x 2 directors (masters, bus vs kernel), "
      f"{n_evals} flapped-check verdicts")
print(f"bus calls that failed (that flap or sample skipped): {len(bus_failures)}")
for v in bus_failures[:20]:
    print("  " + v)
print(f"invariant violations: {len(violations)}")
for v in violations[:50]:
    print("  " + v)
sys.exit(1 if violations else 0)
