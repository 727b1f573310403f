#!/usr/bin/env python3
"""Mean +- standard error over seeds of the test figures: seed 0 from stop 35's validation_stop35/test_*.json, the
other seeds from this folder's test_*_seed*.json."""
import glob, json, math, os, re
here = os.path.dirname(os.path.abspath(__file__))
rows = {}
for f in glob.glob(os.path.join(here, "..", "validation_stop35", "test_*.json")) + glob.glob(os.path.join(here, "test_*_seed*.json")):
    r = json.load(open(f))[0]
    rows.setdefault(r["method"], {})[r["seed"]] = r
def ms(x):
    m = sum(x) / len(x)
    return m, (math.sqrt(sum((v - m) ** 2 for v in x) / (len(x) - 1) / len(x)) if len(x) > 1 else float("nan"))
print("method      seeds  test accuracy      test LL            ECE                per seed (accuracy / ECE)")
for method in ["noisy-kfac", "adam", "kfac"]:
    s = rows.get(method, {})
    seeds = sorted(s)
    acc, ll, ece = ([s[k][key] for k in seeds] for key in ("test_accuracy", "test_log_likelihood", "ece"))
    (am, ase), (lm, lse), (em, ese) = ms(acc), ms(ll), ms(ece)
    per = ", ".join(f"{k}: {s[k]['test_accuracy']:.4f} / {s[k]['ece']:.4f}" for k in seeds)
    print(f"{method:11s} {len(seeds):5d}  {am:.4f} +- {ase:.4f}  {lm:.4f} +- {lse:.4f}  {em:.4f} +- {ese:.4f}  {per}")
