#!/usr/bin/env python3
"""Tunes an example's optimizer setting on a validation split (never the test set), over a grid and several seeds,
then says which grid value is best and whether the grid brackets it (the best is not at an edge).

Every run is `dotnet examples/<E>/bin/Release/net10.0/<E>.dll --data fashion-mnist --validation F ...` with the same
budget and the same evaluation interval (--eval-every-steps, --log-every off), one run at a time.

Scores (--score):
  steps    (default) the median over seeds of the steps to the first evaluation that reaches --target (a run that never
           gets there counts as twice its last step). Steps, not seconds: a grid over a setting that does not change
           the cost of a step (a learning rate, a damping floor) ranks the same by either, and steps do not depend on
           what else the shared machine is doing.
  seconds  the same with training seconds (an idle machine only).
  final    the mean over seeds of the metric at the last evaluation (for a fixed budget without a target).
Ties, and a grid where no run reaches the target, fall back to the mean over seeds of the best value of the metric.
The metric's direction follows its name: *error* and *loss* are lower-is-better, everything else higher-is-better.
--stop-at-target ends a run at its first evaluation that reaches the target (its score is then known); the fallback
then sees the best value up to that point. Logs that already exist are reused (delete them to rerun).

usage: python3 bench/tune_validation.py --example ConvNet --optimizer adam --param lr --values 3e-4,1e-3,3e-3 \
           --seeds 0,1,2 --budget "--steps 1500" --eval-every-steps 75 --target 0.91 --stop-at-target \
           --out runs/tune_convnet_adam
       python3 bench/tune_validation.py --example Autoencoder --optimizer momentum --param lr --values 1e-3,3e-3,1e-2 \
           --metric validation_error --score final --budget "--steps 2000" --eval-every-steps 100 --out runs/tune_ae
       (build first: dotnet build examples/ConvNet -c Release)
"""
import argparse, json, os, statistics, subprocess, sys, time

p = argparse.ArgumentParser()
p.add_argument("--example", required=True)
p.add_argument("--optimizer", required=True)
p.add_argument("--param", required=True, help="the option tuned, without dashes: lr, batch-size, min-lambda, ...")
p.add_argument("--values", required=True, help="comma-separated grid, in increasing order")
p.add_argument("--seeds", default="0,1,2")
p.add_argument("--budget", required=True, help='e.g. "--steps 1500" or "--seconds 300"')
p.add_argument("--eval-every-steps", type=int, required=True)
p.add_argument("--metric", default="validation_accuracy")
p.add_argument("--target", type=float, help="the value of the metric to reach (required unless --score final)")
p.add_argument("--score", choices=["steps", "seconds", "final"], default="steps")
p.add_argument("--stop-at-target", action="store_true", help="end each run at its first evaluation reaching --target")
p.add_argument("--validation", type=float, default=0.1)
p.add_argument("--extra", default="", help="further options passed to every run")
p.add_argument("--out", required=True)
p.add_argument("--nice", type=int, default=0)
a = p.parse_args()
if a.score != "final" and a.target is None:
    sys.exit("error: --target is required unless --score final")
if a.stop_at_target and a.score == "final":
    sys.exit("error: --stop-at-target needs a score by target (steps or seconds)")
values = a.values.split(",")
seeds = [int(s) for s in a.seeds.split(",")]
os.makedirs(a.out, exist_ok=True)
dll = f"examples/{a.example}/bin/Release/net10.0/{a.example}.dll"
if not os.path.exists(dll):
    sys.exit(f"error: {dll} not found; build first: dotnet build examples/{a.example} -c Release")
lower_is_better = "error" in a.metric or "loss" in a.metric

def better_or_equal(x, y):
    return x <= y if lower_is_better else x >= y

def log_path(v, s):
    return os.path.join(a.out, f"{a.optimizer}_{a.param}{v}_seed{s}.jsonl")

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

def reached_target(path):
    """Whether the (growing) log has an evaluation at or past the target."""
    try:
        with open(path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # a line still being written
                r = json.loads(line)
                if r.get(a.metric) is not None and better_or_equal(r[a.metric], a.target):
                    return True
    except FileNotFoundError:
        pass
    return False

pending = []
for v in values:
    for s in seeds:
        path = log_path(v, s)
        if os.path.exists(path) and os.path.getsize(path) > 0:
            continue
        try:
            # Claim the run (its transcript file, created exclusively), so that two instances of this script on the
            # same --out (to use both cores) never run the same grid point; the other one's runs are waited for.
            os.close(os.open(path + ".txt", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            print(f"skip: {path} is claimed by another run (delete {path}.txt if that run died)", flush=True)
            pending.append(path)
            continue
        cmd = (["nice", "-n", str(a.nice), "dotnet", dll, "--data", "fashion-mnist", "--validation", str(a.validation),
                "--optimizer", a.optimizer, f"--{a.param}", v, "--seed", str(s), "--log-every", "1e9",
                "--eval-every-steps", str(a.eval_every_steps), "--log", path + ".tmp"] + a.budget.split() + a.extra.split())
        print("run:", " ".join(cmd[3:]), flush=True)
        with open(path + ".txt", "w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
            stopped = False
            while proc.poll() is None:
                time.sleep(1)
                if a.stop_at_target and reached_target(path + ".tmp"):
                    proc.terminate()
                    proc.wait()
                    stopped = True
            if proc.returncode != 0 and not stopped:
                sys.exit(f"error: run failed with exit code {proc.returncode}; see {path}.txt")
            if stopped:
                out.write("tune_validation.py: stopped at the first evaluation reaching the target\n")
        os.replace(path + ".tmp", path)

while any(not os.path.exists(p) for p in pending):
    time.sleep(10)

def score(records):
    """(value to target or None, step to target or None, best metric, last step, last seconds, final metric)."""
    evaluated = [r for r in records if r.get(a.metric) is not None]
    hit = None if a.target is None else next((r for r in evaluated if better_or_equal(r[a.metric], a.target)), None)
    best = (min if lower_is_better else max)(r[a.metric] for r in evaluated)
    at_target = None if hit is None else (hit["step"] if a.score == "steps" else hit["seconds"])
    return at_target, (hit["step"] if hit else None), best, records[-1]["step"], records[-1]["seconds"], evaluated[-1][a.metric]

rows = []
for v in values:
    per_seed = [score(load(log_path(v, s))) for s in seeds]
    if a.score == "final":
        key = statistics.mean(f for *_, f in per_seed)
    else:
        budget = (lambda r: 2 * r[3]) if a.score == "steps" else (lambda r: 2 * r[4])
        key = statistics.median(r[0] if r[0] is not None else budget(r) for r in per_seed)
    reached = sum(r[1] is not None for r in per_seed)
    rows.append((v, key, reached, statistics.mean(r[2] for r in per_seed), per_seed))

what = {"steps": "median steps to target (unreached = 2x its steps)", "seconds": "median s to target (unreached = 2x budget)",
        "final": f"mean final {a.metric}"}[a.score]
print(f"\n{a.example} {a.optimizer}, {a.param} grid {values}, seeds {seeds}, budget '{a.budget}', "
      f"validation split {a.validation}, evaluation every {a.eval_every_steps} steps"
      + (f", target {a.metric} {'<=' if lower_is_better else '>='} {a.target}" if a.target is not None else "")
      + (" (runs stopped there)" if a.stop_at_target else ""))
print(f"| {a.param} | seeds reaching | {what} | steps to target per seed | final {a.metric} per seed | mean best {a.metric} |")
print("|---|---|---|---|---|---|")
for v, key, reached, mean_best, per_seed in rows:
    steps = ", ".join(str(r[1]) if r[1] is not None else "-" for r in per_seed)
    finals = ", ".join(f"{r[5]:.4g}" for r in per_seed)
    print(f"| {v} | {reached}/{len(seeds)} | {key:.4g} | {steps} | {finals} | {mean_best:.4f} |")
sign = 1 if lower_is_better else -1
if a.score == "final":
    best = min(rows, key=lambda r: (sign * r[1], sign * r[3]))
    how = f"by mean final {a.metric}"
elif any(r[2] > 0 for r in rows):
    best = min(rows, key=lambda r: (r[1], sign * r[3]))
    how = f"by {a.score} to target"
else:
    best = min(rows, key=lambda r: sign * r[3])
    how = f"by best {a.metric}: no run reached the target"
i = [r[0] for r in rows].index(best[0])
bracketed = 0 < i < len(rows) - 1
print(f"best {a.param}: {best[0]} ({how}); " + ("bracketed by the grid" if bracketed else "AT THE EDGE of the grid: extend it"))
