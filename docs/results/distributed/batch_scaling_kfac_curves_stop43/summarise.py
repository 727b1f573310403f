#!/usr/bin/env python3
"""First step at or below each target train_error in the K-FAC curves of run.sh (one log per batch size, train_error
every 5 steps), and the ratio of iterations per doubling of the batch. usage: python3 summarise.py [folder]"""
import glob, json, os, re, sys

TARGETS = [25, 20, 15, 12, 10, 9, 8, 7, 6.5, 6, 5.75, 5.5, 5.25, 5, 4.75, 4.5, 4.25, 4.1, 4.0]


def load_curves(folder):
    """{batch: [(step, train_error), ...]}; extended/ holds longer runs of some batch sizes (the same runs further):
    the longest log of a batch size is used."""
    curves = {}
    for path in glob.glob(os.path.join(folder, "kfac_batch*_seed*.jsonl")) + glob.glob(os.path.join(folder, "extended", "kfac_batch*_seed*.jsonl")):
        batch = int(re.search(r"batch(\d+)_", path).group(1))
        rows = [json.loads(l) for l in open(path) if l.strip()]
        curve = [(r["step"], r["train_error"]) for r in rows if r.get("train_error") is not None]
        if len(curve) > len(curves.get(batch, [])): curves[batch] = curve
    return curves


def first_crossing(curve, target):
    """The first evaluated step at or below target, or None."""
    return next((s for s, e in curve if e <= target), None)


def print_table(curves, targets):
    """The last evaluation per batch, then one line per target: first crossings and the ratio per doubling."""
    batches = sorted(curves)
    print("last evaluation per batch: " + ", ".join(f"{b}: step {curves[b][-1][0]} error {curves[b][-1][1]:.3f}" for b in batches))
    print("target | " + " | ".join(f"batch {b}" for b in batches) + " | per doubling")
    for target in targets:
        first = {b: first_crossing(curves[b], target) or f">{curves[b][-1][0]}" for b in batches}
        ratios = []
        for lo, hi in zip(batches, batches[1:]):
            a, c = first[lo], first[hi]
            if isinstance(a, int) and isinstance(c, int): ratios.append(f"{a / c:.2f}")
            elif isinstance(c, int): ratios.append(f">{int(a[1:]) / c:.2f}")
            else: ratios.append("-")
        print(f"{target} | " + " | ".join(str(first[b]) for b in batches) + " | " + " / ".join(ratios))


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    print_table(load_curves(folder), TARGETS)


if __name__ == "__main__":
    main()
