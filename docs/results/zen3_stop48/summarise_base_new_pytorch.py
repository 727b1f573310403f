#!/usr/bin/env python3
"""Summarises convnet_step_vs_pytorch_base_new.sh's log: per round the previous build's (base), this build's (new) and
PyTorch's ms per ConvNet step, the ratios base / PyTorch, new / PyTorch and new / base, and the ratios of the medians.
usage: python3 docs/results/zen3_stop48/summarise_base_new_pytorch.py LOG.jsonl"""
import json, statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    rounds.setdefault(d["round"], {})[d["side"].split("-")[0]] = d.get("ms_per_step", d.get("ms_forward_backward"))
print("round   base    new  pytorch  base/pt  new/pt  new/base")
cols = {"base": [], "new": [], "pytorch": []}
for r in sorted(rounds):
    v = rounds[r]
    if len(v) < 3: continue
    for k in cols: cols[k].append(v[k])
    print(f"{r:5d} {v['base']:6.1f} {v['new']:6.1f} {v['pytorch']:8.1f} {v['base']/v['pytorch']:8.3f} {v['new']/v['pytorch']:7.3f} {v['new']/v['base']:9.3f}")
m = {k: statistics.median(x) for k, x in cols.items()}
print(f"median {m['base']:6.1f} {m['new']:6.1f} {m['pytorch']:8.1f} {m['base']/m['pytorch']:8.3f} {m['new']/m['pytorch']:7.3f} {m['new']/m['base']:9.3f}")
