#!/usr/bin/env python3
"""Iterations to several training errors against the batch size, K-FAC's seed-0 curves of stops 43 and 44 merged (the
longest log per batch, batch 500 to 16000; both axes log), with a line falling 1.6x per doubling (the issue's bound,
anchored at batch 1000's count to train_error 4.25) and momentum SGD's iterations to train_error 25 (stop 24's tuned
study) for reference. Needs matplotlib. usage: /usr/bin/python3 plot_iterations.py OUT.png"""
import json, os, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from summarise import curves_in, first_crossing, load_curves  # noqa: E402

if len(sys.argv) != 2:
    sys.exit(__doc__)
curves = load_curves(os.path.join(here, "..", "batch_scaling_kfac_curves_stop43"))
curves.update({b: c for b, c in curves_in(here).items() if len(c) >= len(curves.get(b, []))})
batches = sorted(curves)
fig, ax = plt.subplots(figsize=(9.6, 5.4), dpi=120)
for target, style in ((10, "o-"), (6, "s-"), (5, "D-"), (4.5, "^-"), (4.25, "P-"), (4.1, "X-"), (3.9, "v-")):
    points = [(b, first_crossing(curves[b], target)) for b in batches]
    points = [(b, n) for b, n in points if n is not None]
    if len(points) < 2: continue
    line, = ax.plot([b for b, _ in points], [n for _, n in points], style, label=f"K-FAC to train_error {target:g}")
    for b, n in points:
        ax.annotate(str(n), (b, n), textcoords="offset points", xytext=(4, 3), fontsize=7, color=line.get_color())
momentum = json.load(open(os.path.join(here, "..", "batch_scaling", "summary.json")))
rows = [r for r in momentum["results"] if r["optimizer"] == "momentum" and r["iterations"]]
ax.plot([r["batch"] for r in rows], [r["iterations"] for r in rows], "x--", color="gray",
        label="momentum SGD to train_error 25 (lr tuned per batch, stop 24)")
n0 = first_crossing(curves[1000], 4.25)
i0 = batches.index(1000)
ax.plot(batches, [n0 / 1.6 ** (i - i0) for i in range(len(batches))], ":", color="black", alpha=0.6,
        label="1.6x fewer per doubling (from batch 1000 at 4.25)")
ax.set_xscale("log", base=2)
ax.set_xticks(batches, [str(b) for b in batches])
ax.set_yscale("log")
ax.set_xlabel("mini-batch size")
ax.set_ylabel("iterations to the training error")
ax.set_title("Deep autoencoder, Fashion-MNIST: K-FAC (lambda0 1.5e-3, inverses every 5, seed 0), stops 43-44", fontsize=9)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
fig.savefig(sys.argv[1])
print("wrote", sys.argv[1])
