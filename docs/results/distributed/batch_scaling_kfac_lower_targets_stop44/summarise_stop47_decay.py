#!/usr/bin/env python3
"""Stop 47: iterations to each train_error at batch 4000 and 8000 with the statistics decay 0.95 (the default) and 0.9,
this stop's build, seeds 0 (baseline_stop47/, stats_decay_0.9/) and 1 (seed1/, tags stop47 and statsdecay0.9); the
4000 -> 8000 ratio per decay, with each size at its better decay, and pooled over the seeds (summed iterations).
usage: python3 summarise_stop47_decay.py"""
import json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from summarise import first_crossing  # stop 43's rule: the first evaluated step at or below the target
TARGETS = [5, 4.75, 4.5, 4.25, 4.1, 4.0, 3.9, 3.8]
LOGS = {  # (seed, decay) -> folder and tag
    (0, 0.95): ("baseline_stop47", "stop47"), (0, 0.9): ("stats_decay_0.9", "statsdecay0.9"),
    (1, 0.95): ("seed1", "stop47"), (1, 0.9): ("seed1", "statsdecay0.9"),
}


def first(seed, decay, batch, target):
    folder, tag = LOGS[(seed, decay)]
    path = os.path.join(here, folder, f"kfac_batch{batch}_lambda1.5e-3_{tag}_seed{seed}.jsonl")
    if not os.path.exists(path): return None
    rows = [json.loads(l) for l in open(path) if l.strip()]
    return first_crossing([(r["step"], r["train_error"]) for r in rows if r.get("train_error") is not None], target)


def ratio(a, b): return f"{a / b:.2f}" if a and b else "-"


def seed_table(seed):
    """Per target: iterations at 4000 and 8000 with each decay, and the 4000 -> 8000 ratios."""
    print(f"## seed {seed}: target | 4000 at 0.95 / 0.9 | 8000 at 0.95 / 0.9 | 4000 -> 8000 at 0.95 / 0.9 / each size's better decay")
    for t in TARGETS:
        a = {d: first(seed, d, 4000, t) for d in (0.95, 0.9)}
        b = {d: first(seed, d, 8000, t) for d in (0.95, 0.9)}
        best_a = min(v for v in a.values() if v) if all(a.values()) else None
        best_b = min(v for v in b.values() if v) if all(b.values()) else None
        print(f"{t} | {a[0.95]} / {a[0.9]} | {b[0.95]} / {b[0.9]} | {ratio(a[0.95], b[0.95])} / {ratio(a[0.9], b[0.9])} / {ratio(best_a, best_b)}")


def pooled_table(seeds):
    """Per target: the 4000 -> 8000 ratio of iterations summed over the seeds (only where every seed reached it)."""
    names = ", ".join(str(s) for s in seeds[:-1]) + f" and {seeds[-1]}"
    print(f"## pooled over seeds {names} (summed iterations): target | 4000 -> 8000 at 0.95 / 0.9")
    for t in TARGETS:
        cells = []
        for d in (0.95, 0.9):
            a = [first(s, d, 4000, t) for s in seeds]
            b = [first(s, d, 8000, t) for s in seeds]
            cells.append(ratio(sum(a), sum(b)) if all(a) and all(b) else "-")
        print(f"{t} | {cells[0]} / {cells[1]}")


if __name__ == "__main__":
    for seed in (0, 1):
        seed_table(seed)
        print()
    pooled_table((0, 1))
