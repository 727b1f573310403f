#!/usr/bin/env python3
"""Markdown table of examples/BayesianRegression --json outputs next to the seed's figures (Zhang et al. 2018 as
quoted in shared/MATH.md). Usage: bayes_table.py FILE.json [FILE.json ...]"""
import json
import sys

SEED = {  # (RMSE, LL) for BBB, NG-FFG (noisy Adam), NG-MVG (noisy K-FAC)
    ("boston", "bbb"): (2.517, -2.500), ("boston", "noisy-adam"): (2.396, -2.430), ("boston", "noisy-kfac"): (2.296, -2.336),
    ("concrete", "bbb"): (5.770, -3.169), ("concrete", "noisy-adam"): (5.916, -3.166), ("concrete", "noisy-kfac"): (5.173, -3.073),
}
LABEL = {"bbb": "BBB", "noisy-adam": "NG-FFG (noisy Adam)", "noisy-kfac": "NG-MVG (noisy K-FAC)",
         "noisy-kfac-eigenbasis": "NG-MVG, eigenbasis posterior", "adam": "Adam point estimate"}

rows = [r for f in sys.argv[1:] for r in json.load(open(f))]


def num(x):
    """A figure to 3 decimals; null (a single split's standard error, a diverged run) as '-'."""
    return "-" if x is None else f"{x:.3f}"


def runs(r):
    """Splits, or training runs on the authors' one split (--split-protocol authors)."""
    return f"{r['splits']} on the authors' split" if r.get("split_protocol") == "authors" else f"{r['splits']}"


print("| dataset | method | splits | epochs | test RMSE (ours) | seed RMSE | test LL (ours) | seed LL | seconds (all splits) | us/iteration |")
print("|---|---|---:|---:|---|---:|---|---:|---:|---:|")
for r in rows:
    s = SEED.get((r["dataset"], r["method"]))
    print(f"| {r['dataset']} | {LABEL.get(r['method'], r['method'])} | {runs(r)} | {r['epochs']} | "
          f"{num(r['rmse_mean'])} +- {num(r['rmse_se'])} | {s[0] if s else '-'} | {num(r['ll_mean'])} +- {num(r['ll_se'])} | "
          f"{s[1] if s else '-'} | {r['seconds']:.0f} | {r['us_per_iteration']:.0f} |")
