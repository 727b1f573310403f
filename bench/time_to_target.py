#!/usr/bin/env python3
"""Reads metrics logs (JSON lines written by the examples) and reports, for a baseline run and one or more
other runs, when each first reached the baseline's final value of a metric: iterations and training seconds,
and the ratios baseline/other. Lower is better for *_error / *_loss metrics, higher for *_accuracy.

usage: python3 bench/time_to_target.py --metric train_error --baseline runs/momentum.jsonl runs/kfac.jsonl [runs/adam.jsonl]
       python3 bench/time_to_target.py --metric test_accuracy --target 0.91 runs/kfac.jsonl runs/adam.jsonl
       python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --sustained 3 --baseline runs/adam.jsonl runs/kfac.jsonl
"""
import argparse, json

p = argparse.ArgumentParser()
p.add_argument("--metric", required=True)
p.add_argument("--baseline")
p.add_argument("--target", type=float)
p.add_argument("--sustained", type=int, default=1,
               help="count the target as reached when the mean of this many consecutive evaluations reaches it")
p.add_argument("runs", nargs="+")
a = p.parse_args()
higher_is_better = a.metric.endswith("accuracy")

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

def reached(records, target):
    evaluated = [r for r in records if r.get(a.metric) is not None]
    n = max(1, a.sustained)
    for i in range(n - 1, len(evaluated)):
        v = sum(r[a.metric] for r in evaluated[i - n + 1:i + 1]) / n
        if (v >= target) if higher_is_better else (v <= target):
            return evaluated[i]
    return None

target = a.target
base = None
if a.baseline:
    base = load(a.baseline)
    final = base[-1]
    target = final[a.metric] if target is None else target
    print(f"baseline {a.baseline}: {final['optimizer']} final {a.metric} {final[a.metric]:.4f} at step {final['step']}, {final['seconds']:.1f} s")
print(f"target {a.metric} {'>=' if higher_is_better else '<='} {target:.4f}" + (f" (mean of {a.sustained} consecutive evaluations)" if a.sustained > 1 else ""))
base_hit = reached(base, target) if base else None
for path in a.runs:
    rec = load(path)
    hit = reached(rec, target)
    if hit is None:
        best = (max if higher_is_better else min)(r[a.metric] for r in rec if r.get(a.metric) is not None)
        print(f"{path}: {rec[-1]['optimizer']} never reached it (best {best:.4f} in {rec[-1]['step']} steps, {rec[-1]['seconds']:.1f} s)")
        continue
    line = f"{path}: {hit['optimizer']} reached it at step {hit['step']}, {hit['seconds']:.1f} s"
    if base_hit:
        line += f"; baseline needed {base_hit['step']} steps, {base_hit['seconds']:.1f} s -> {base_hit['step'] / hit['step']:.1f}x fewer iterations, {base_hit['seconds'] / hit['seconds']:.1f}x less time"
    print(line)
