"""Stop 45: ratio_amortised per run and per staleness from kfac_sgd_ratio_async_ab.sh logs.
usage: python3 summarise_ratio_ab.py LOG..."""
import re, statistics, sys

by = {}
for path in sys.argv[1:]:
    s = None
    for line in open(path):
        m = re.match(r"# pass \d+ S=(\d+)", line)
        if m: s = int(m.group(1)); continue
        r = re.search(r"ratio_amortised=([0-9.]+)", line)
        if r and s is not None:
            inv = re.search(r"ms_inverses=([0-9.]+)", line).group(1)
            k = re.search(r" ms_per_step_amortised=([0-9.]+)", line).group(1)
            sgd = re.search(r"baseline_ms_per_step_amortised=([0-9.]+)", line).group(1)
            by.setdefault(s, []).append((float(r.group(1)), float(k), float(sgd), float(inv)))
for s, runs in sorted(by.items()):
    ratios = [r[0] for r in runs]
    print(f"S={s}: {len(runs)} runs, ratio_amortised " + " / ".join(f"{x:.3f}" for x in ratios)
          + f"; median {statistics.median(ratios):.3f}, mean {statistics.mean(ratios):.3f}, runs <= 2.0: {sum(x <= 2.0 for x in ratios)}"
          + f"; K-FAC ms median {statistics.median(r[1] for r in runs):.1f}, SGD ms median {statistics.median(r[2] for r in runs):.1f}"
          + f", inverses phase ms median {statistics.median(r[3] for r in runs):.2f}")
