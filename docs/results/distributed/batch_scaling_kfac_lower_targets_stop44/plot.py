#!/usr/bin/env python3
"""The last doubling's ratio, iterations at batch 4000 over iterations at batch 8000 to the same train_error, against
the target, for every pair of runs this stop has (seed 0 gamma tied to lambda, seed 0 gamma search, seed 1), with the
issue's 1.6x. Needs matplotlib. usage: /usr/bin/python3 plot.py OUT.png"""
import os, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from summarise import TARGETS, curves_in, first_crossing, load_curves  # noqa: E402

if len(sys.argv) != 2:
    sys.exit(__doc__)
seed0 = load_curves(os.path.join(here, "..", "batch_scaling_kfac_curves_stop43"))
seed0.update(curves_in(here))
pairs = [("seed 0, gamma tied to lambda (default)", seed0, "o-"),
         ("seed 0, gamma search (section 6.6)", curves_in(os.path.join(here, "gamma_search")), "s--"),
         ("seed 1, gamma tied to lambda", curves_in(os.path.join(here, "seed1")), "D-")]
fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
for label, curves, style in pairs:
    if 4000 not in curves or 8000 not in curves: continue
    points = []
    for t in sorted(TARGETS, reverse=True):
        a, b = first_crossing(curves[4000], t), first_crossing(curves[8000], t)
        if a and b: points.append((t, a / b))
    ax.plot([t for t, _ in points], [r for _, r in points], style, label=label)
ax.axhline(1.6, color="black", linestyle=":", label="issue: 1.6x per doubling")
ax.invert_xaxis()
ax.set_xlabel("target train_error (first evaluation at or below it; every 5 steps)")
ax.set_ylabel("iterations at batch 4000 / at batch 8000")
ax.set_title("Deep autoencoder, K-FAC (lambda0 1.5e-3, inverses every 5): the last doubling, stop 44", fontsize=9)
ax.grid(True, alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[1])
print("wrote", sys.argv[1])
