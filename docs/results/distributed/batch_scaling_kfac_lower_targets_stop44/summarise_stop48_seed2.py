#!/usr/bin/env python3
"""Stop 48: stop 47's decay comparison (summarise_stop47_decay.py) with a third seed, seed 2 (seed2/, tags stop47 and
statsdecay0.9, run on stop 48's build, whose autoencoder arithmetic is stop 47's): per seed the 4000 -> 8000 ratio of
iterations to each train_error at the statistics decay 0.95 (the default) and 0.9, and pooled over seeds 0-2 (summed
iterations; a target counts only where every seed reached it).
usage: python3 summarise_stop48_seed2.py"""
import os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import summarise_stop47_decay as s47  # noqa: E402  (prints stop 47's tables on import; this script prints after a marker)

s47.LOGS[(2, 0.95)] = ("seed2", "stop47")
s47.LOGS[(2, 0.9)] = ("seed2", "statsdecay0.9")
first, ratio, TARGETS = s47.first, s47.ratio, s47.TARGETS
print("\n# stop 48: seed 2, and the three seeds pooled\n")
print("## seed 2: target | 4000 at 0.95 / 0.9 | 8000 at 0.95 / 0.9 | 4000 -> 8000 at 0.95 / 0.9 / each size's better decay")
for t in TARGETS:
    a = {d: first(2, d, 4000, t) for d in (0.95, 0.9)}
    b = {d: first(2, d, 8000, t) for d in (0.95, 0.9)}
    best_a = min(a.values()) if all(a.values()) else None
    best_b = min(b.values()) if all(b.values()) else None
    print(f"{t} | {a[0.95]} / {a[0.9]} | {b[0.95]} / {b[0.9]} | {ratio(a[0.95], b[0.95])} / {ratio(a[0.9], b[0.9])} / {ratio(best_a, best_b)}")
print()
print("## pooled over seeds 0, 1 and 2 (summed iterations): target | 4000 -> 8000 at 0.95 / 0.9")
for t in TARGETS:
    cells = []
    for d in (0.95, 0.9):
        a = [first(s, d, 4000, t) for s in (0, 1, 2)]
        b = [first(s, d, 8000, t) for s in (0, 1, 2)]
        cells.append(ratio(sum(a), sum(b)) if all(a) and all(b) else "-")
    print(f"{t} | {cells[0]} / {cells[1]}")
