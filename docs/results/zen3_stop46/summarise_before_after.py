#!/usr/bin/env python3
"""Summarise sgd_step_before_after_pytorch.sh logs: per round the three step times (ms per step, medians of 30 steps)
and the ratios after/before and after/pytorch, before/pytorch; then the ratio of the medians over rounds."""
import json, statistics, sys

for path in sys.argv[1:]:
    rows = [json.loads(l) for l in open(path) if l.strip().startswith('{')]
    by = {}
    for d in rows:
        by.setdefault(d['round'], {})[d['side']] = d
    print(f"# {path}")
    print("round  load  before  after  pytorch  after/before  after/pytorch  before/pytorch")
    cols = {'before': [], 'after': [], 'pytorch': []}
    for r in sorted(by):
        s = by[r]
        if len(s) < 3: continue
        b, a = s['before']['ms_per_step'], s['after']['ms_per_step']
        p = s['pytorch'].get('ms_per_step') or s['pytorch'].get('ms')
        for k, v in (('before', b), ('after', a), ('pytorch', p)): cols[k].append(v)
        print(f"{r:5d}  {s['before'].get('load', '?'):>4}  {b:6.1f}  {a:5.1f}  {p:7.1f}  {a / b:12.3f}  {a / p:13.3f}  {b / p:14.3f}")
    mb, ma, mp = (statistics.median(cols[k]) for k in ('before', 'after', 'pytorch'))
    print(f"medians: before {mb:.1f}, after {ma:.1f}, pytorch {mp:.1f} ms; after/before {ma / mb:.3f}, "
          f"after/pytorch {ma / mp:.3f}, before/pytorch {mb / mp:.3f}")
