#!/usr/bin/env python3
"""Draws bench/batch_scaling.py's summary.json as the talk's figure: iterations to the target training error against
the mini-batch size (both axes logarithmic), one line per optimizer, with the ideal (linear) scaling from the smallest
batch for reference. Needs matplotlib (Debian: python3-matplotlib).

usage: python3 bench/batch_scaling_plot.py docs/results/distributed/batch_scaling/summary.json docs/figures/batch_scaling.png
"""
import json, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

if len(sys.argv) != 3:
    sys.exit(__doc__)
summary = json.load(open(sys.argv[1]))
labels = {"kfac": "K-FAC (lambda0 tuned per batch size)", "momentum": "momentum SGD 0.9 (lr tuned per batch size)"}
fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
for opt, style in (("kfac", "o-"), ("momentum", "s-")):
    rows = [r for r in summary["results"] if r["optimizer"] == opt and r["iterations"]]
    if not rows:
        continue
    batches = [r["batch"] for r in rows]
    iterations = [r["iterations"] for r in rows]
    line, = ax.plot(batches, iterations, style, label=labels.get(opt, opt))
    ax.plot(batches, [iterations[0] * batches[0] / b for b in batches], ":", color=line.get_color(), alpha=0.6,
            label=f"{opt}: ideal (iterations x batch constant)")
    for b, n in zip(batches, iterations):
        ax.annotate(str(n), (b, n), textcoords="offset points", xytext=(4, 4), fontsize=8)
ax.set_xscale("log", base=2)
all_batches = sorted({r["batch"] for r in summary["results"]})
ax.set_xticks(all_batches, [str(b) for b in all_batches])
ax.set_yscale("log")
ax.set_xlabel("mini-batch size")
ax.set_ylabel(f"iterations to training error {summary['target_train_error']:g}")
ax.set_title(f"Deep autoencoder, Fashion-MNIST (seed {summary['seed']}, evaluated every {summary['eval_every_steps']} steps"
             f"{'; ' + summary['extra'] if summary.get('extra') else ''})",
             fontsize=9)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2])
print(f"wrote {sys.argv[2]}")
