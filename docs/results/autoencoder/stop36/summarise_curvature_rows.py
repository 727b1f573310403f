#!/usr/bin/env python3
"""Steps and seconds (steps x the bench's amortised ms per step, f<fraction>.json) to each train_error target, per
curvature fraction and seed (f<fraction>_s<seed>.jsonl); steps only where f<fraction>.json is absent.
Usage: summarise_curvature_rows.py DIR FRACTION [FRACTION ...] [--targets T1,T2,...]"""
import json, os, sys
args = sys.argv[1:]
targets = (15, 12, 10, 8.5, 7, 6, 5.5, 5)
if "--targets" in args:
    i = args.index("--targets")
    targets = tuple(float(t) for t in args[i + 1].split(","))
    del args[i:i + 2]
here, fractions = args[0], args[1:]
ms = {f: json.load(open(os.path.join(here, f"f{f}.json")))["ms_per_step_amortised"] for f in fractions
      if os.path.exists(os.path.join(here, f"f{f}.json"))}
if ms: print("ms per step (amortised): " + ", ".join(f"1/{round(1 / float(f))} {ms[f]:.1f}" for f in ms))


def curve(p):
    d = {}
    for line in open(p):
        r = json.loads(line)
        if "train_error" in r: d[r["step"]] = r["train_error"]
    return d


for seed in range(10):
    have = [f for f in fractions if os.path.exists(os.path.join(here, f"f{f}_s{seed}.jsonl"))]
    if not have: continue
    print(f"seed {seed}: target: steps (seconds) for " + " | ".join(f"1/{round(1 / float(f))}" for f in have))
    curves = {f: curve(os.path.join(here, f"f{f}_s{seed}.jsonl")) for f in have}
    for t in targets:
        cells = []
        for f in have:
            s = next((s for s in sorted(curves[f]) if curves[f][s] <= t), None)
            cells.append("-" if not s else f"{s} ({s * ms[f] / 1000:.1f} s)" if f in ms else str(s))
        print(f"  {t:4}: " + " | ".join(cells))
