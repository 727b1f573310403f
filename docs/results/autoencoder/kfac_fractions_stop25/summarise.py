#!/usr/bin/env python3
"""Steps to momentum SGD's final train_error of the same seed (BENCHMARKS, stop 15: 10.78 / 10.55 / 10.69), to
train_error 7 and 6.5, and the error at steps 150 and 330, for every kfac_<label>_seed<s>.jsonl here (plus the
defaults' runs of stop 24 as 'default')."""
import glob, json, os, re, sys
own = os.path.dirname(os.path.abspath(__file__))
here = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else own  # another study's folder (stop 32's)
targets = {0: 10.78, 1: 10.55, 2: 10.69}
files = sorted(glob.glob(f"{here}/kfac_*_seed*.jsonl"))
files += [] if here != own else [(f, "default") for f in sorted(glob.glob(f"{here}/../lambda0_pilot_stop24/kfac_lambda0.15_T3_20_seed*.jsonl"))]
def first(rows, t):
    return next((r["step"] for r in rows if r["train_error"] <= t), None)
print(f"{'setting':<10} {'seed':>4} {'to momentum':>11} {'to 7.0':>7} {'to 6.5':>7} {'err@150':>8} {'err@330':>8} {'rejected':>8}")
for f in files:
    label = None
    if isinstance(f, tuple): f, label = f
    label = label or re.search(r"kfac_(.+)_seed", os.path.basename(f)).group(1)
    seed = int(re.search(r"seed(\d+)", f).group(1))
    rows = [json.loads(l) for l in open(f)]
    rows = [r for r in rows if r.get("train_error") is not None]
    at = lambda s: next((r["train_error"] for r in rows if r["step"] >= s), float("nan"))
    fmt = lambda v: "-" if v is None else str(v)
    print(f"{label:<10} {seed:>4} {fmt(first(rows, targets[seed])):>11} {fmt(first(rows, 7.0)):>7} {fmt(first(rows, 6.5)):>7} "
          f"{at(150):8.3f} {at(330):8.3f} {rows[-1].get('rejected_steps', 0):>8}")
