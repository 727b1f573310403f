#!/usr/bin/env python3
"""Summarises convnet_step_base_new_processes.sh's log: medians of base and new, and per pair new / base (median,
quartiles, how many pairs new was slower).
usage: python3 docs/results/zen3_stop48/summarise_processes.py LOG.txt"""
import statistics, sys
base, new = [], []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 5 and f[1] == "base": base.append(float(f[2])); new.append(float(f[4]))
r = sorted(n / b for n, b in zip(new, base))
q = statistics.quantiles(r, n=4)
print(f"pairs {len(r)}: base median {statistics.median(base):.1f} ms ({min(base):.1f}-{max(base):.1f}), new median "
      f"{statistics.median(new):.1f} ms ({min(new):.1f}-{max(new):.1f}); new/base per pair median {statistics.median(r):.3f} "
      f"(quartiles {q[0]:.3f} / {q[2]:.3f}), new slower in {sum(x > 1 for x in r)} of {len(r)}")
