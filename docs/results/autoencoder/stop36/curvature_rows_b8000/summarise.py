#!/usr/bin/env python3
"""Batch 8000, seed 0: steps and seconds (steps x the bench's amortised ms per step) to each train_error target with
K-FAC's curvature on 1/8 (1000 rows) and on 125 rows (1/64, the example's cap)."""
import json, os
here = os.path.dirname(os.path.abspath(__file__))
fractions = ["0.125", "0.015625"]
ms = {f: json.load(open(os.path.join(here, f"f{f}.json")))["ms_per_step_amortised"] for f in fractions}
print("ms per step (amortised): " + ", ".join(f"{f}: {ms[f]:.1f}" for f in fractions))
def curve(p):
    d = {}
    for line in open(p):
        r = json.loads(line)
        if "train_error" in r: d[r["step"]] = r["train_error"]
    return d
curves = {f: curve(os.path.join(here, f"f{f}_s0.jsonl")) for f in fractions}
for t in (15, 12, 10, 8.5, 7, 6, 5.5, 5):
    cells = []
    for f in fractions:
        s = next((s for s in sorted(curves[f]) if curves[f][s] <= t), None)
        cells.append(f"{s} ({s * ms[f] / 1000:.1f} s)" if s else "-")
    print(f"  {t:4}: " + " | ".join(cells))
