#!/usr/bin/env python3
"""Medians per shape of gemm_fused_b_panels.sh's log, --fused-b-panels 1 against 8, and their ratio.
usage: python3 docs/results/zen3_stop48/summarise_gemm_fused_b_panels.py LOG.txt"""
import json, statistics, sys
from collections import defaultdict
d = defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        j = json.loads(line); d[(j["shape"], j["fused_b_panels"])].append(j["gflops"])
print(f"{'shape':28s} {'1 panel':>8s} {'8 panels':>9s} {'ratio':>6s}   (GFLOP/s, medians of the rounds)")
for shape in sorted({s for s, _ in d}):
    a, b = statistics.median(d[(shape, 1)]), statistics.median(d[(shape, 8)])
    print(f"{shape:28s} {a:8.1f} {b:9.1f} {b / a:6.3f}")
