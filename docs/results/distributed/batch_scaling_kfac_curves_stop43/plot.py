#!/usr/bin/env python3
"""Iterations to several training errors against the batch size from the K-FAC curves of run.sh (both axes log), with
a line falling 1.6x per doubling (the issue's bound) and momentum SGD's iterations to train_error 25 (stop 24's tuned
study, docs/results/distributed/batch_scaling/summary.json) for reference. Needs matplotlib (python3-matplotlib).
usage: /usr/bin/python3 plot.py OUT.png   (draw() is also used by stop 44's plot.py)"""
import json, os, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from summarise import first_crossing, load_curves  # noqa: E402

STYLES = ["o-", "v-", "s-", "D-", "^-", "P-", "X-", "*-"]


def draw(curves, targets, anchor_target, title, out):
    """One line per target (first crossings per batch), momentum SGD to 25 and the 1.6x line anchored at batch 1000's
    count to anchor_target."""
    batches = sorted(curves)
    fig, ax = plt.subplots(figsize=(9.6, 5.4), dpi=120)
    for target, style in zip(targets, STYLES):
        points = [(b, first_crossing(curves[b], target)) for b in batches]
        points = [(b, n) for b, n in points if n is not None]
        if len(points) < 2: continue
        line, = ax.plot([b for b, _ in points], [n for _, n in points], style, label=f"K-FAC to train_error {target:g}")
        for b, n in points:
            ax.annotate(str(n), (b, n), textcoords="offset points", xytext=(4, 3), fontsize=7, color=line.get_color())
    momentum = json.load(open(os.path.join(here, "..", "batch_scaling", "summary.json")))
    rows = [r for r in momentum["results"] if r["optimizer"] == "momentum" and r["iterations"] and r["batch"] <= max(batches)]
    ax.plot([r["batch"] for r in rows], [r["iterations"] for r in rows], "x--", color="gray",
            label="momentum SGD to train_error 25 (lr tuned per batch, stop 24)")
    n0 = first_crossing(curves[1000], anchor_target) if 1000 in curves else None
    if n0:
        i0 = batches.index(1000)
        ax.plot(batches, [n0 / 1.6 ** (i - i0) for i in range(len(batches))], ":", color="black", alpha=0.6,
                label=f"1.6x fewer per doubling (from batch 1000 at {anchor_target:g})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.set_yscale("log")
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("iterations to the training error")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    save(fig, out)


def save(fig, out):
    fig.tight_layout()
    fig.savefig(out)
    print("wrote", out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    draw(load_curves(here), (10, 7, 6, 5, 4.5, 4.25), 5,
         "Deep autoencoder, Fashion-MNIST: K-FAC (lambda0 1.5e-3, inverses every 5, seed 0), stop 43", sys.argv[1])
