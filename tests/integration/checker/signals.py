#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads `busctl --json=short monitor` output and prints the StateChanged
transitions of one check, "from>to" one per line. Exits 1 when the sequence
numbers of the daemon's StateChanged signals are not strictly increasing in
emission order (they must be: DESIGN §6).

  signals.py FILE [CHECK_NAME]
"""
import json
import sys


def bus_path_encode(prefix, name):
    # sd_bus_path_encode(): [A-Za-z0-9] kept, everything else _XX, empty = "_"
    if not name:
        return prefix + "/_"
    out = []
    for i, ch in enumerate(name.encode()):
        c = chr(ch)
        if c.isascii() and (c.isalpha() or (c.isdigit() and i > 0)):
            out.append(c)
        else:
            out.append("_%02x" % ch)
    return prefix + "/" + "".join(out)


path = bus_path_encode("/org/vigil/Checker1/check", sys.argv[2]) if len(sys.argv) > 2 else None
last_seq = 0
ok = True
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") != "signal" or m.get("member") != "StateChanged":
            continue
        seq, frm, to, detail = m["payload"]["data"]
        if seq <= last_seq:
            print("seq went from %d to %d" % (last_seq, seq), file=sys.stderr)
            ok = False
        last_seq = seq
        if path is None or m.get("path") == path:
            print("%s>%s" % (frm, to))
sys.exit(0 if ok else 1)
