"""Stop 45: first step at or below momentum's final train_error (stop 15, per seed) and a few more targets, evaluated
after every step; S = 0 synchronous against S = 1 asynchronous inverses. usage: python3 summarise.py -> summary.txt"""
import importlib.util, os

here = os.path.dirname(os.path.abspath(__file__))
momentum_final = {0: 10.78, 1: 10.55, 2: 10.69}
targets = [15, 12.14, 10, 9]


_parent = importlib.util.spec_from_file_location("parent", os.path.join(here, "..", "summarise.py"))
parent = importlib.util.module_from_spec(_parent)
_parent.loader.exec_module(parent)


def curve(s, seed):
    return parent.curve_in(here, s, seed)


first = parent.first


lines = ["first step at or below the target, S = 0 / S = 1 (excess of S = 1)",
         "seed  momentum's final          " + "".join(f"{t:>22}" for t in targets)]
tot = [0, 0]
for seed in (0, 1, 2):
    c0, c1 = curve(0, seed), curve(1, seed)
    cells = []
    for t in [momentum_final[seed]] + targets:
        a, b = first(c0, t), first(c1, t)
        cells.append(f"{a}/{b} ({100 * (b / a - 1):+.1f}%)" if a and b else f"{a}/{b}")
        if a and b: tot[0] += a; tot[1] += b
    lines.append(f"{seed:>4}  {momentum_final[seed]:5.2f}: {cells[0]:<18}" + "".join(f"{c:>22}" for c in cells[1:]))
lines.append(f"all cells summed: {tot[0]} / {tot[1]} ({100 * (tot[1] / tot[0] - 1):+.1f}%)")
text = "\n".join(lines)
print(text)
open(os.path.join(here, "summary.txt"), "w").write(text + "\n")
