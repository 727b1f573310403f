#!/usr/bin/env python3
"""Summarises bench/pytorch_vs_ours_step.sh's log: per path and model, our ms per step and PyTorch's in each round,
the per-round ratio ours / PyTorch and the ratio of the medians.
usage: python3 bench/pytorch_vs_ours_summary.py LOG.jsonl"""
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(dict)
for line in open(sys.argv[1]):
    d = json.loads(line)
    side, model = d["side"].split("-", 1)
    ms = d["ms_per_step"] if side == "ours" else d.get("ms_per_step", d.get("ms_forward_backward"))
    runs[(d["path"], model)].setdefault(d["round"], {})[side] = ms
print(f"{'path':<7} {'model':<12} {'ours ms (rounds)':<26} {'pytorch ms (rounds)':<26} {'ratio per round':<22} ratio of medians")
for (path, model), byRound in sorted(runs.items()):
    rs = sorted(r for r in byRound if len(byRound[r]) == 2)
    ours = [byRound[r]["ours"] for r in rs]
    theirs = [byRound[r]["pytorch"] for r in rs]
    ratios = [o / t for o, t in zip(ours, theirs)]
    print(f"{path:<7} {model:<12} {' / '.join(f'{x:.1f}' for x in ours):<26} {' / '.join(f'{x:.1f}' for x in theirs):<26} "
          f"{' / '.join(f'{x:.2f}' for x in ratios):<22} {statistics.median(ours) / statistics.median(theirs):.3f}")
