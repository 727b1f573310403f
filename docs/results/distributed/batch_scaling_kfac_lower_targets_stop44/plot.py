#!/usr/bin/env python3
"""Two figures from stop 44's runs. RATIO.png: the last doubling's ratio, iterations at batch 4000 over iterations at
batch 8000 to the same train_error, against the target, for every pair of runs this stop has (seed 0 gamma tied to
lambda, seed 0 gamma search, seeds 1 and 2), with the issue's 1.6x. ITERATIONS.png: iterations to several training errors
against the batch size (stop 43's draw(), seed-0 curves of stops 43 and 44 merged, 500 to 16000).
Needs matplotlib. usage: /usr/bin/python3 plot.py RATIO.png ITERATIONS.png"""
import importlib.util, os, sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from summarise import TARGETS, first_crossing, load_curves  # noqa: E402

_spec = importlib.util.spec_from_file_location("plot_stop43", os.path.join(here, "..", "batch_scaling_kfac_curves_stop43", "plot.py"))
_plot43 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_plot43)


def seed0_curves():
    """Stop 43's seed-0 curves with this stop's longer runs in their place."""
    curves = load_curves(os.path.join(here, "..", "batch_scaling_kfac_curves_stop43"))
    curves.update({b: c for b, c in load_curves(here).items() if len(c) >= len(curves.get(b, []))})
    return curves


def draw_ratio(out):
    pairs = [("seed 0, gamma tied to lambda (default)", seed0_curves(), "o-"),
             ("seed 0, gamma search (section 6.6)", load_curves(os.path.join(here, "gamma_search")), "s--"),
             ("seed 1, gamma tied to lambda", load_curves(os.path.join(here, "seed1")), "D-"),
             ("seed 2, gamma tied to lambda", load_curves(os.path.join(here, "seed2")), "^-")]
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
    _plot43.save(fig, out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    draw_ratio(sys.argv[1])
    _plot43.draw(seed0_curves(), (10, 6, 5, 4.5, 4.25, 4.1, 3.9), 4.25,
                 "Deep autoencoder, Fashion-MNIST: K-FAC (lambda0 1.5e-3, inverses every 5, seed 0), stops 43-44", sys.argv[2])
