#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Draws the VRRP failover timeline as SVG from bench/vrrp-failover's
per-sample data (TIMELINE=FILE: one JSON object per run with the ARP probe's
samples [t_ms, [nodes that answered]]). One panel per run, one lane per node
(n1: the master whose daemon is killed or frozen, n2: the backup); a bar where
the node answered ARP for the VIP, red where both answered the same request
(split brain), a dashed line at the fault. Standard library only.

    render.py TIMELINE.jsonl... > failover-timeline.svg"""
import json
import sys
from xml.sax.saxutils import escape

W, LEFT, RIGHT, LANE, GAP, TOP = 960, 190, 20, 16, 34, 40
COLORS = {'n1': '#4477aa', 'n2': '#66aa55', 'both': '#dd3333'}
LABELS = {'vigil': 'vigil, SIGKILL', 'keepalived': 'keepalived, SIGKILL',
          'vigil-stop': 'vigil, SIGSTOP', 'keepalived-stop': 'keepalived, SIGSTOP',
          'vigil-term': 'vigil, SIGTERM (graceful)', 'keepalived-term': 'keepalived, SIGTERM (graceful)'}


def segments(samples, pred, step):
    """[(t0, t1)] where pred(nodes) holds, from consecutive samples."""
    out, start, last = [], None, None
    for t, nodes in samples:
        if pred(nodes):
            if start is None:
                start = t
            last = t
        elif start is not None:
            out.append((start, last + step))
            start = None
    if start is not None:
        out.append((start, last + step))
    return out


def main(paths):
    runs = []
    for p in paths:
        with open(p) as f:
            runs += [json.loads(line) for line in f if line.strip()]
    if not runs:
        sys.exit('render.py: no runs in ' + ' '.join(paths))
    # per advert interval (in file order): SIGKILL, SIGSTOP, SIGTERM, vigil above keepalived
    adverts = list(dict.fromkeys(r['advert'] for r in runs))
    kind = lambda n: 2 if n.endswith('-term') else 1 if n.endswith('-stop') else 0
    runs.sort(key=lambda r: (adverts.index(r['advert']), kind(r['name']), not r['name'].startswith('vigil')))
    # the same time axis for every panel: relative to the fault
    t_min = min(r['samples'][0][0] - r['fault_ms'] for r in runs if r['samples'])
    t_max = max(r['samples'][-1][0] - r['fault_ms'] for r in runs if r['samples'])
    scale = (W - LEFT - RIGHT) / (t_max - t_min)
    x = lambda t: LEFT + (t - t_min) * scale
    panel_h = 2 * LANE + GAP
    H = TOP + len(runs) * panel_h + 40
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">VRRP failover: who answers ARP for the VIP '
         '(probe every 10 ms)</text>',
         f'<text x="{LEFT}" y="33" fill="#555">n1 = master whose daemon is killed, frozen or stopped at 0 ms, n2 = backup; '
         '<tspan fill="{0}">red = both answer (split brain)</tspan></text>'.format(COLORS['both'])]
    for i, r in enumerate(runs):
        y0 = TOP + i * panel_h + 16
        step = r['interval_ms']
        s = [(t - r['fault_ms'], nodes) for t, nodes in r['samples']]
        title = f"{LABELS.get(r['name'], r['name'])}, advert {r['advert']}"
        o.append(f'<text x="{LEFT}" y="{y0 - 3}" font-weight="bold">{escape(title)}</text>')
        for lane, node in enumerate(('n1', 'n2')):
            yl = y0 + lane * LANE
            o.append(f'<text x="{LEFT - 8}" y="{yl + LANE - 4}" text-anchor="end" fill="#555">{node}</text>')
            o.append(f'<rect x="{LEFT}" y="{yl + 1}" width="{W - LEFT - RIGHT}" height="{LANE - 2}" fill="#f2f2f2"/>')
            for a, b in segments(s, lambda n, node=node: node in n, step):
                o.append(f'<rect x="{x(a):.1f}" y="{yl + 1}" width="{max(0.5, (b - a) * scale):.1f}" '
                         f'height="{LANE - 2}" fill="{COLORS[node]}"/>')
            for a, b in segments(s, lambda n: 'n1' in n and 'n2' in n, step):
                o.append(f'<rect x="{x(a):.1f}" y="{yl + 1}" width="{max(0.5, (b - a) * scale):.1f}" '
                         f'height="{LANE - 2}" fill="{COLORS["both"]}"/>')
        o.append(f'<line x1="{x(0):.1f}" y1="{y0 - 4}" x2="{x(0):.1f}" y2="{y0 + 2 * LANE + 4}" '
                 'stroke="black" stroke-dasharray="3,2"/>')
    # time axis
    ya = TOP + len(runs) * panel_h + 4
    o.append(f'<line x1="{LEFT}" y1="{ya}" x2="{W - RIGHT}" y2="{ya}" stroke="black"/>')
    span = t_max - t_min
    tick = next(t for t in (100, 200, 500, 1000, 2000, 5000, 10000) if span / t <= 12)
    t = (int(t_min) // tick) * tick
    while t <= t_max:
        if t >= t_min:
            o.append(f'<line x1="{x(t):.1f}" y1="{ya}" x2="{x(t):.1f}" y2="{ya + 5}" stroke="black"/>')
            o.append(f'<text x="{x(t):.1f}" y="{ya + 18}" text-anchor="middle">{t / 1000:g} s</text>')
        t += tick
    o.append('</svg>')
    print('\n'.join(o))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
