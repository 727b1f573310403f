#!/usr/bin/env python3
"""Steps to each train_error target per variant and seed (<variant>_s<seed>.jsonl), the train_error at the last
evaluation, and the worst after step 250. Usage: summarise.py [VARIANT ...] (default base si2 si2d90)"""
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
variants = sys.argv[1:] or ["base", "si2", "si2d90"]
targets = (15, 12.14, 10, 8.5, 7.62, 7, 6.5, 6, 5.5)


def curve(p):
    return {r["step"]: r["train_error"] for r in map(json.loads, open(p)) if "train_error" in r}


for seed in range(10):
    have = [v for v in variants if os.path.exists(os.path.join(here, f"{v}_s{seed}.jsonl"))]
    if not have: continue
    curves = {v: curve(os.path.join(here, f"{v}_s{seed}.jsonl")) for v in have}
    print(f"seed {seed}: steps to train_error target for " + " | ".join(have))
    for t in targets:
        cells = [next((str(s) for s in sorted(c) if c[s] <= t), "-") for c in curves.values()]
        print(f"  {t:5}: " + " | ".join(cells))
    print("  last : " + " | ".join(f"{c[max(c)]:.3f} (step {max(c)})" for c in curves.values()))
    print("  worst after 250: " + " | ".join(f"{max(e for s, e in c.items() if s > 250):.3f}" if max(c) > 250 else "-" for c in curves.values()))
