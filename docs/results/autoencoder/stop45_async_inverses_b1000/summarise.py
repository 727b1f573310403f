"""Stop 45: iterations to each train_error target, synchronous (S = 0) against asynchronous inverses (S = 1), seeds 0-2.
usage: python3 summarise.py [DIR]   -> prints the table written to summary.txt"""
import json, os, sys

here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
targets = [12.14, 10, 8.5, 7.62, 7, 6.5, 6, 5.5]   # 12.14 momentum's final, 7.62 Adam's (stop 38's table)


def curve_in(folder, s, seed):
    rows = [json.loads(l) for l in open(os.path.join(folder, f"kfac_staleness{s}_seed{seed}.jsonl"))]
    return [(r["step"], r["train_error"]) for r in rows if r.get("train_error") is not None]


def curve(s, seed):
    return curve_in(here, s, seed)


def first(c, t):
    return next((step for step, e in c if e <= t), None)


if __name__ == "__main__":
    lines = ["first step at or below each train_error (eval every 5 steps); S = 0 synchronous / S = 1 asynchronous",
             "seed  " + "  ".join(f"{t:>11}" for t in targets) + "  error at last step"]
    worst = 0.0
    for seed in (0, 1, 2):
        c0, c1 = curve(0, seed), curve(1, seed)
        cells = []
        for t in targets:
            a, b = first(c0, t), first(c1, t)
            cells.append(f"{str(a) if a else '-':>5}/{str(b) if b else '-':<5}")
            if a and b: worst = max(worst, b / a - 1)
        lines.append(f"{seed:>4}  " + "  ".join(cells) + f"  {c0[-1][1]:.3f} / {c1[-1][1]:.3f} (step {c0[-1][0]})")
    lines.append(f"largest excess of S = 1 over S = 0 where both reach a target: {100 * worst:+.1f}%")
    text = "\n".join(lines)
    print(text)
    open(os.path.join(here, "summary.txt"), "w").write(text + "\n")
