#!/usr/bin/env python3
"""Environment steps until the mean return of the last 100 episodes first reaches a target, per seed, from the
committed MinAtar logs (5 seeds x 5M steps per algorithm; logged every 50 000 steps), for targets at 50%, 75% and 100%
of A2C's mean final return. A2C: baselines' defaults; ACKTR: delta 0.001 (stops 28 and 29). Median over the 5 seeds,
a seed that never reaches the target counted as never (infinite). Run from the repository root."""
import glob, json, statistics

def curve(path):
    rows = [json.loads(line) for line in open(path)]
    return [(r["env_steps"], r["mean_return"]) for r in rows if r.get("mean_return") is not None]

def first(c, target):
    return next((s for s, r in c if r >= target), None)

def median(xs):
    return statistics.median([x if x is not None else float("inf") for x in xs])

games = [("MinAtar Space Invaders", "docs/results/rl/minatar_space_invaders_stop29/space_invaders_"),
         ("MinAtar Breakout", "docs/results/rl/minatar_breakout_stop28/breakout_")]
for game, prefix in games:
    a2c = [curve(f) for f in sorted(glob.glob(prefix + "a2c_seed*.jsonl"))]
    acktr = [curve(f) for f in sorted(glob.glob(prefix + "acktr_kl0.001_seed*.jsonl"))]
    final = statistics.mean(c[-1][1] for c in a2c)
    print(f"{game}: A2C mean final return {final:.1f} ({len(a2c)} seeds), ACKTR {statistics.mean(c[-1][1] for c in acktr):.1f} ({len(acktr)} seeds)")
    for frac in (0.5, 0.75, 1.0):
        t = frac * final
        sa, sk = [first(c, t) for c in a2c], [first(c, t) for c in acktr]
        ma, mk = median(sa), median(sk)
        ratio = "inf" if mk == float("inf") else f"{ma / mk:.2f}"
        print(f"  target {t:6.1f} ({frac:.0%} of A2C's final): A2C median {ma:,.0f} {sa}; ACKTR median {mk:,.0f} {sk}; A2C / ACKTR {ratio}")
