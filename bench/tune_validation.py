#!/usr/bin/env python3
"""Tunes an example's optimizer setting on a validation split (never the test set), over a grid and several seeds,
then says which grid value is best and whether the grid brackets it (the best is not at an edge).

Every run is `dotnet examples/<E>/bin/Release/net10.0/<E>.dll --data fashion-mnist --validation F ...` with the same
budget and the same evaluation interval (--eval-every-steps, --log-every off), one run at a time. A value is scored by
the median over seeds of the training seconds to the first evaluation at or above --target (a run that never gets
there counts as its budget, times 2); ties, and a grid where no run reaches the target, fall back to the mean over
seeds of the best validation accuracy. Logs that already exist are reused (delete them to rerun).

usage: python3 bench/tune_validation.py --example ConvNet --optimizer adam --param lr --values 3e-4,1e-3,3e-3 \
           --seeds 0,1,2 --budget "--seconds 300" --eval-every-steps 50 --target 0.91 --out runs/tune_convnet_adam
       (build first: dotnet build examples/ConvNet -c Release)
"""
import argparse, json, os, statistics, subprocess, sys

p = argparse.ArgumentParser()
p.add_argument("--example", required=True)
p.add_argument("--optimizer", required=True)
p.add_argument("--param", required=True, help="the option tuned, without dashes: lr, batch-size, min-lambda, ...")
p.add_argument("--values", required=True, help="comma-separated grid, in increasing order")
p.add_argument("--seeds", default="0,1,2")
p.add_argument("--budget", required=True, help='e.g. "--seconds 300" or "--steps 2000"')
p.add_argument("--eval-every-steps", type=int, required=True)
p.add_argument("--target", type=float, required=True, help="validation accuracy to reach")
p.add_argument("--validation", type=float, default=0.1)
p.add_argument("--extra", default="", help="further options passed to every run")
p.add_argument("--out", required=True)
p.add_argument("--nice", type=int, default=0)
a = p.parse_args()
values = a.values.split(",")
seeds = [int(s) for s in a.seeds.split(",")]
os.makedirs(a.out, exist_ok=True)
dll = f"examples/{a.example}/bin/Release/net10.0/{a.example}.dll"
if not os.path.exists(dll):
    sys.exit(f"error: {dll} not found; build first: dotnet build examples/{a.example} -c Release")
metric = "validation_accuracy"

def log_path(v, s):
    return os.path.join(a.out, f"{a.optimizer}_{a.param}{v}_seed{s}.jsonl")

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

for v in values:
    for s in seeds:
        path = log_path(v, s)
        if os.path.exists(path) and os.path.getsize(path) > 0:
            continue
        cmd = (["nice", "-n", str(a.nice), "dotnet", dll, "--data", "fashion-mnist", "--validation", str(a.validation),
                "--optimizer", a.optimizer, f"--{a.param}", v, "--seed", str(s), "--log-every", "1e9",
                "--eval-every-steps", str(a.eval_every_steps), "--log", path + ".tmp"] + a.budget.split() + a.extra.split())
        print("run:", " ".join(cmd[3:]), flush=True)
        with open(path + ".txt", "w") as out:
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True)
        os.replace(path + ".tmp", path)

def score(records):
    evaluated = [r for r in records if r.get(metric) is not None]
    hit = next((r for r in evaluated if r[metric] >= a.target), None)
    best = max(r[metric] for r in evaluated)
    budget_seconds = records[-1]["seconds"]
    return (hit["seconds"] if hit else None), (hit["step"] if hit else None), best, budget_seconds

rows = []
for v in values:
    per_seed = [score(load(log_path(v, s))) for s in seeds]
    seconds = [t if t is not None else 2 * b for t, _, _, b in per_seed]
    reached = sum(t is not None for t, _, _, _ in per_seed)
    rows.append((v, statistics.median(seconds), reached, statistics.mean(b for _, _, b, _ in per_seed), per_seed))

print(f"\n{a.example} {a.optimizer}, {a.param} grid {values}, seeds {seeds}, budget '{a.budget}', "
      f"validation split {a.validation}, evaluation every {a.eval_every_steps} steps, target {metric} >= {a.target}")
print(f"| {a.param} | seeds reaching | median s to target (unreached = 2x budget) | steps to target per seed | mean best {metric} |")
print("|---|---|---|---|---|")
for v, med, reached, mean_best, per_seed in rows:
    steps = ", ".join(str(st) if st is not None else "-" for _, st, _, _ in per_seed)
    print(f"| {v} | {reached}/{len(seeds)} | {med:.1f} | {steps} | {mean_best:.4f} |")
any_reached = any(r[2] > 0 for r in rows)
best = min(rows, key=lambda r: (r[1], -r[3])) if any_reached else max(rows, key=lambda r: r[3])
i = [r[0] for r in rows].index(best[0])
bracketed = 0 < i < len(rows) - 1
print(f"best {a.param}: {best[0]} ({'by time to target' if any_reached else 'by best accuracy: no run reached the target'}); "
      + ("bracketed by the grid" if bracketed else "AT THE EDGE of the grid: extend it"))
