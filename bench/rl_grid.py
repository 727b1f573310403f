#!/usr/bin/env python3
"""Environment steps to a mean return (last 100 episodes) for a grid of examples/ReinforcementLearning settings over
seeds, two runs at a time; prints per setting the seeds that reached it, the median (unreached counted as 1e9) and
the per-seed steps. Run from the repository root after `dotnet build examples/ReinforcementLearning -c Release`.

usage: python3 bench/rl_grid.py ENV THRESHOLD BUDGET SEEDS "PYTHON LIST OF ARGUMENT STRINGS"
  e.g. python3 bench/rl_grid.py CartPole-v1 475 500000 11,12,13,14,15 "['--algo acktr --envs 8 --ent-coef 0']"
"""
import subprocess, itertools, statistics, sys, concurrent.futures as cf
env, thr, budget = sys.argv[1], sys.argv[2], sys.argv[3]
seeds = [int(x) for x in sys.argv[4].split(',')]
grid = eval(sys.argv[5])  # list of arg strings
bin='examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll'
def run(args, s):
    out = subprocess.run(['dotnet', bin, '--env', env, '--timesteps', budget, '--seed', str(s), '--stop-at-return', thr, '--log-every', '1000000000'] + args.split(), capture_output=True, text=True, cwd=None).stdout
    for l in out.splitlines():
        if l.startswith('reached'): return int(l.split()[-3])
    return None
with cf.ThreadPoolExecutor(2) as ex:
    futs = {(g, s): ex.submit(run, g, s) for g in grid for s in seeds}
    for g in grid:
        r = [futs[(g, s)].result() for s in seeds]
        ok = [x for x in r if x is not None]
        med = statistics.median([x if x is not None else 10**9 for x in r])
        print(f"{g:60s} {len(ok)}/{len(r)} median {med} {r}", flush=True)
