#!/usr/bin/env python3
"""Stop 40: ACKTR on MinAtar Breakout, inverses every 10 updates (the no-flag setting; seeds 1-2 from stop 39's logs)
against every 20, 5M steps (a run still under way is left out): mean return of the last 100 episodes at 5M (and at 1M / 2M / 3M / 4M), wall clock of the
runs that ran side by side. usage: python3 summarise.py  (from this directory)"""
import json, os, statistics as st
here = os.path.dirname(os.path.abspath(__file__))
def load(path):
    return [json.loads(l) for l in open(path)]
def at(rs, steps):
    return min(rs, key=lambda r: abs(r['env_steps'] - steps))['mean_return']
runs = {}
for s in range(1, 8):
    p10 = os.path.join(here, f'noflags_seed{s}.jsonl')
    if not os.path.exists(p10): p10 = os.path.join(here, f'../../stop39/breakout_acktr_noflags_seed{s}.jsonl')
    p20 = os.path.join(here, f'interval20_seed{s}.jsonl')
    for k, p in (('every 10', p10), ('every 20', p20)):
        if os.path.exists(p):
            rs = load(p)
            if rs and rs[-1]['env_steps'] >= 5_000_000: runs.setdefault(k, {})[s] = rs
for k, per in runs.items():
    finals = [rs[-1]['mean_return'] for rs in per.values() if rs[-1]['env_steps'] >= 5_000_000]
    se = st.stdev(finals) / len(finals) ** 0.5 if len(finals) > 1 else float('nan')
    curve = ' / '.join(f"{st.mean(at(rs, m * 1_000_000) for rs in per.values()):.1f}" for m in (1, 2, 3, 4))
    print(f"inverses {k}: seeds {sorted(per)}: at 5M {st.mean(finals):.2f} +- {se:.2f} (per seed {', '.join(f'{x:.2f}' for x in finals)}); seed mean at 1/2/3/4M {curve}")
for s in (3, 4, 5, 6, 7):
    if s in runs.get('every 10', {}) and s in runs.get('every 20', {}):
        a, b = runs['every 10'][s][-1], runs['every 20'][s][-1]
        if a['env_steps'] >= 5_000_000 and b['env_steps'] >= 5_000_000:
            print(f"seed {s}, side by side: wall clock every 10 {a['seconds']:.0f} s, every 20 {b['seconds']:.0f} s (ratio {b['seconds'] / a['seconds']:.3f})")
