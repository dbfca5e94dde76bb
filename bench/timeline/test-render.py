#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Smoke test of render.py: a synthetic run where n1 answers until 500 ms
after the fault and n2 from 300 ms on must give a red (split brain) bar from
300 to 500 ms in both lanes, the node bars where each answered, and a time axis;
a run without overlap must give no red at all."""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

here = os.path.dirname(os.path.abspath(__file__))
NS = '{http://www.w3.org/2000/svg}'


def run(samples_by_name):
    with tempfile.NamedTemporaryFile('w', suffix='.jsonl', delete=False) as f:
        for name, samples in samples_by_name.items():
            f.write(json.dumps({'name': name, 'advert': '100ms', 'fault_ms': 1000.0, 'interval_ms': 10.0,
                                'samples': samples}) + '\n')
    try:
        out = subprocess.run([sys.executable, os.path.join(here, 'render.py'), f.name],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    return ET.fromstring(out)


def fail(msg):
    print('FAIL:', msg)
    sys.exit(1)


t = [i * 10.0 for i in range(300)]   # 0 .. 2990 ms, fault at 1000
split = {'vigil': [[x, [n for n, on in (('n1', x < 1500), ('n2', x >= 1300)) if on]] for x in t]}
svg = run(split)
rects = [r for r in svg.iter(NS + 'rect')]
red = [r for r in rects if r.get('fill') == '#dd3333']
if len(red) != 2:
    fail(f'expected one split-brain bar per lane, got {len(red)}')
# x scale from the axis: LEFT=190 at t_min=-1000 ms, W-RIGHT=940 at t_max=1990 ms
scale = (940 - 190) / 2990
for r in red:
    x0, w = float(r.get('x')), float(r.get('width'))
    if abs(x0 - (190 + 1300 * scale)) > 1 or abs(w - 200 * scale) > 1:
        fail(f'split-brain bar at x={x0} w={w}, expected x={190 + 1300 * scale:.1f} w={200 * scale:.1f}')
if not [r for r in rects if r.get('fill') == '#4477aa'] or not [r for r in rects if r.get('fill') == '#66aa55']:
    fail('a node lane has no bar')
if not any('s' in (e.text or '') for e in svg.iter(NS + 'text')):
    fail('no time axis labels')

clean = {'vigil': [[x, ['n1'] if x < 1200 else ['n2'] if x >= 1400 else []] for x in t]}
if any(r.get('fill') == '#dd3333' for r in run(clean).iter(NS + 'rect')):
    fail('red drawn where no request was answered twice')
print('ok')
