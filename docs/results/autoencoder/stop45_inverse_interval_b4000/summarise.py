"""Stop 45: iterations to each train_error at batch 4000 with the example's defaults, inverses every 10 steps against
every step, seeds 0-2, and the training seconds of each run (one thread, two runs side by side).
usage: python3 summarise.py -> summary.txt"""
import json, os

here = os.path.dirname(os.path.abspath(__file__))
targets = [10, 8, 7, 6, 5.5, 5, 4.75]


def curve(t, seed):
    rows = [json.loads(l) for l in open(os.path.join(here, f"kfac_interval{t}_seed{seed}.jsonl"))]
    return [(r["step"], r["train_error"], r["seconds"]) for r in rows if r.get("train_error") is not None]


def first(c, target):
    return next(((s, sec) for s, e, sec in c if e <= target), (None, None))


lines = ["first step (seconds) at or below each train_error; inverses every 10 steps / every step",
         "seed  " + "".join(f"{t:>24}" for t in targets) + "   error at step 300"]
for seed in (0, 1, 2):
    c10, c1 = curve(10, seed), curve(1, seed)
    cells = []
    for t in targets:
        (a, sa), (b, sb) = first(c10, t), first(c1, t)
        cells.append(f"{a} ({sa:.0f}) / {b} ({sb:.0f})" if a and b else f"{a} / {b}")
    lines.append(f"{seed:>4}  " + "".join(f"{c:>24}" for c in cells) + f"   {c10[-1][1]:.3f} / {c1[-1][1]:.3f}")
text = "\n".join(lines)
print(text)
open(os.path.join(here, "summary.txt"), "w").write(text + "\n")
