#!/usr/bin/env python3
"""Median over rounds of each phase (ms per step), before and after, from sgd_step_phases_before_after.sh logs."""
import json, statistics, sys

rows = [json.loads(l) for p in sys.argv[1:] for l in open(p) if l.strip().startswith('{')]
keys = [k for k in rows[0] if k.startswith('ms_')]
print(f"{'phase':28s} {'before':>8s} {'after':>8s}  (medians over {len(rows) // 2} rounds, ms per step)")
for k in keys:
    b = statistics.median(r[k] for r in rows if r['side'] == 'before')
    a = statistics.median(r[k] for r in rows if r['side'] == 'after')
    print(f"{k[3:]:28s} {b:8.2f} {a:8.2f}")
