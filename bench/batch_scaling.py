#!/usr/bin/env python3
"""The distributed K-FAC paper's batch-size study (Ba, Grosse & Martens 2017, the talk's scaling claim): iterations to
reach a fixed training error on the deep autoencoder (Fashion-MNIST) against the mini-batch size, for K-FAC and for
momentum SGD, each tuned per batch size over a grid.

Every run is `dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --batch-size B ...`
with the same evaluation schedule on both sides (--eval-every-steps E, --log-every off; train_error is the example's
fixed 10000-image training subset) and ends at its first evaluation at or below --target. Iterations are counted, not
seconds (they do not depend on the shared machine's load, nor on how many processes share the batch: distributed K-FAC
takes the same steps as one process on the whole batch, docs/distributed.md).

Tuning per batch size (momentum 0.9: the learning rate; K-FAC: the initial damping lambda0, all else at the example's
defaults), by a bracketing search over a grid of factors of about 3 or 10: the start value, then both neighbours,
then further out on the side of the best while the best is at the edge of the values run, so that the best is
bracketed (or at the end of the grid, which the summary flags). Each run after the first is capped at the best
crossing found so far for its batch size (it cannot win past it), so the best value's count is exact and the others'
are "not better than". A run that has not crossed by --max-steps is "not reached". The score of a batch size is the
fewest iterations over its grid (one seed).

Two worker processes run groups (optimizer, batch size) in parallel, one kernel thread each (--threads 1).

usage: python3 bench/batch_scaling.py --target 20 --out docs/results/distributed/batch_scaling \
           --batches 500,1000,2000,4000,8000,16000 --kfac-lambdas 150,15,1.5 --momentum-lrs 0.01,0.003,0.03 \
           --eval-every 5 --max-steps 3000
       (build first: dotnet build examples/Autoencoder -c Release). Logs are reused when present (delete to rerun).
"""
import argparse, json, os, subprocess, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument("--target", type=float, required=True, help="train_error to reach")
p.add_argument("--batches", default="500,1000,2000,4000,8000,16000")
p.add_argument("--kfac-lambdas", default="0.15,1.5,15,150,1500", help="K-FAC lambda0 grid, increasing")
p.add_argument("--kfac-start", default="15", help="the K-FAC grid value run first")
p.add_argument("--momentum-lrs", default="0.001,0.003,0.01,0.03,0.1", help="momentum (0.9) lr grid, increasing")
p.add_argument("--momentum-start", default="0.003", help="the momentum grid value run first")
p.add_argument("--optimizers", default="kfac,momentum")
p.add_argument("--eval-every", type=int, default=5)
p.add_argument("--max-steps", type=int, default=3000)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--workers", type=int, default=2)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--extra", default="", help="further options passed to every run, e.g. \"--inverse-interval 5\"")
p.add_argument("--out", required=True)
p.add_argument("--summary-only", action="store_true", help="only read the logs and print the table")
a = p.parse_args()

dll = "examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll"
if not a.summary_only and not os.path.exists(dll):
    sys.exit(f"error: {dll} not found; build first: dotnet build examples/Autoencoder -c Release")
os.makedirs(a.out, exist_ok=True)
batches = [int(b) for b in a.batches.split(",")]
grids = {"kfac": ("lambda", a.kfac_lambdas.split(",")), "momentum": ("lr", a.momentum_lrs.split(","))}
optimizers = a.optimizers.split(",")
starts = {"kfac": a.kfac_start, "momentum": a.momentum_start}


def log_path(opt, batch, value):
    return os.path.join(a.out, f"{opt}_batch{batch}_{grids[opt][0]}{value}_seed{a.seed}.jsonl")


def load(path):
    records = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    records.append(json.loads(line))
    except FileNotFoundError:
        pass
    return records


def crossing(records):
    """The step of the first evaluation at or below the target, or None."""
    return next((r["step"] for r in records if r.get("train_error") is not None and r["train_error"] <= a.target), None)


def last_step(records):
    evaluated = [r for r in records if r.get("train_error") is not None]
    return (evaluated[-1]["step"], evaluated[-1]["train_error"]) if evaluated else (0, float("nan"))


def run(opt, batch, value, cap):
    """Trains until the target, the cap or --max-steps; returns the log path."""
    path = log_path(opt, batch, value)
    if os.path.exists(path):
        return path
    cmd = ["dotnet", dll, "--data", "fashion-mnist", "--batch-size", str(batch), "--optimizer", opt,
           f"--{grids[opt][0]}", value, "--seed", str(a.seed), "--threads", str(a.threads), "--log-every", "1e9",
           "--eval-every-steps", str(a.eval_every), "--steps", str(cap), "--log", path + ".tmp"] + a.extra.split()
    if opt == "kfac" and "--curvature-rows-max" not in a.extra:
        # The scaling study measures K-FAC with its curvature on 1/8 of every batch (the study's setting since stop 24),
        # not the autoencoder's default cap of 125 rows, which trades iterations for time at large batches.
        cmd += ["--curvature-rows-max", "0"]
    if opt == "kfac" and "--curvature-rows-min" not in a.extra:
        # Nor the floor of 125 rows (stop 38): 1/8 of batch 500 stays 62 rows, as in the study's runs.
        cmd += ["--curvature-rows-min", "0"]
    print(f"{time.strftime('%H:%M:%S')} run: {' '.join(cmd[2:])}", flush=True)
    with open(path + ".txt", "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        stopped = False
        while proc.poll() is None:
            time.sleep(1)
            if crossing(load(path + ".tmp")) is not None:
                proc.terminate()
                proc.wait()
                stopped = True
        if proc.returncode != 0 and not stopped:
            print(f"error: {path}: exit code {proc.returncode}; see {path}.txt", flush=True)
        if stopped:
            out.write("batch_scaling.py: stopped at the first evaluation reaching the target\n")
    os.replace(path + ".tmp", path)
    return path


def group(opt, batch):
    """Bracketing search over the optimizer's grid (sorted): the start value, then both neighbours, then further out
    on the side of the best while the best is at the edge of the values run (and the grid has more)."""
    values = grids[opt][1]
    index = {v: i for i, v in enumerate(values)}
    done = {}  # grid index -> crossing step or None

    start = index[starts[opt]]

    def best():
        """(crossing step, grid index) of the fewest iterations; a tie goes to the value nearest the start."""
        hits = [(s, abs(i - start), i) for i, s in done.items() if s is not None]
        return (min(hits)[0], min(hits)[2]) if hits else None

    def run_at(i):
        b = best()
        cap = a.max_steps if b is None else min(a.max_steps, b[0])
        done[i] = crossing(load(run(opt, batch, values[i], cap)))

    run_at(start)
    while True:
        lo, hi = min(done), max(done)
        b = best()
        todo = []
        if b is None or b[1] == lo:
            todo.append(lo - 1)
        if b is None or b[1] == hi:
            todo.append(hi + 1)
        todo = [i for i in todo if 0 <= i < len(values) and i not in done]
        if not todo:
            return
        for i in todo:
            run_at(i)


def work(queue, lock):
    while True:
        with lock:
            if not queue:
                return
            job = queue.pop(0)
        group(*job)


if not a.summary_only:
    # Longest groups first (momentum at the largest batches), so that the two workers end together.
    queue = sorted(((o, b) for o in optimizers for b in batches), key=lambda j: (j[0] != "momentum", -j[1]))
    lock = threading.Lock()
    threads = [threading.Thread(target=work, args=(queue, lock)) for _ in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

summary = {"target_train_error": a.target, "eval_every_steps": a.eval_every, "max_steps": a.max_steps, "seed": a.seed,
           "extra": a.extra, "results": []}
print(f"\nAutoencoder, Fashion-MNIST, iterations to train_error <= {a.target} (evaluated every {a.eval_every} steps; "
      f"seed {a.seed}; '>N': not reached within N steps; capped runs are 'not better than' the best)")
for opt in optimizers:
    name, values = grids[opt]
    for batch in batches:
        cells, hits = [], []
        for i, value in enumerate(values):
            records = load(log_path(opt, batch, value))
            if not records:
                cells.append(f"{name} {value}: -")
                continue
            hit = crossing(records)
            step, err = last_step(records)
            cells.append(f"{name} {value}: {hit}" if hit is not None else f"{name} {value}: >{step} ({err:.1f})")
            if hit is not None:
                hits.append((hit, abs(i - values.index(starts[opt])), value))  # ties: nearest the start, as the search
        best = (min(hits)[0], min(hits)[2]) if hits else None
        ordered = sorted(values, key=float)
        edge = best is not None and len(values) > 1 and ordered.index(best[1]) in (0, len(values) - 1)
        summary["results"].append({"optimizer": opt, "batch": batch, "iterations": best[0] if best else None,
                                   "best": best[1] if best else None, "best_at_grid_edge": edge,
                                   "grid": cells})
        print(f"{opt:9s} batch {batch:6d}: {best[0] if best else '-':>6} iterations (best {name} {best[1] if best else '-'}"
              f"{', at the edge of the grid' if edge else ''});  " + "; ".join(cells))
for opt in optimizers:
    rows = [r for r in summary["results"] if r["optimizer"] == opt and r["iterations"]]
    ratios = [f"{p['batch']}->{q['batch']}: {p['iterations'] / q['iterations']:.2f}x" for p, q in zip(rows, rows[1:])]
    print(f"{opt}: fewer iterations per doubling: " + ", ".join(ratios))
with open(os.path.join(a.out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
