#!/usr/bin/env python3
"""Reads the JSON-lines logs of examples/ReinforcementLearning and reports, per run, the environment steps at
which the mean return of the last 100 episodes first reached a threshold (the first logged line with
episodes >= 100 and mean_return >= threshold; the example logs that line as soon as --stop-at-return is met),
then median / mean / min / max per group (a group = runs whose file names differ only in the seed). With --final
it reports instead, per group, the mean return of the last 100 episodes on each run's last log line (mean,
standard error, per seed) and, when the run's .txt console output next to the log has the example's --evaluate
line, the greedy evaluation's mean return. With --png
it also draws mean return against environment steps, one colour per group (standard library only: the PNG is
written with zlib, no matplotlib needed).

usage: python3 bench/rl_curves.py --threshold 475 docs/results/rl/cartpole_*.jsonl [--png curves.png]
       python3 bench/rl_curves.py --final docs/results/rl/pendulum_stop27/*.jsonl
"""
import argparse, json, re, statistics, struct, zlib

p = argparse.ArgumentParser()
p.add_argument("--threshold", type=float)
p.add_argument("--final", action="store_true", help="final mean return (and greedy evaluation) per group")
p.add_argument("--png")
p.add_argument("runs", nargs="+")
a = p.parse_args()
if a.threshold is None and not a.final:
    p.error("give --threshold T (steps to reach T) or --final (final returns)")

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

def greedy(path):
    """The greedy evaluation's mean return from the run's console output (PATH.txt), or None."""
    try:
        with open(path.rsplit(".", 1)[0] + ".txt") as f:
            m = re.search(r"greedy episodes, mean return (-?[0-9.]+)", f.read())
            return float(m.group(1)) if m else None
    except OSError:
        return None

def mean_se(values):
    m = statistics.mean(values)
    return m, (statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else float("nan"))

if a.final:
    finals = {}
    for path in a.runs:
        records = load(path)
        name = re.sub(r"_seed\d+", "", path.split("/")[-1].rsplit(".", 1)[0])
        seed = re.search(r"_seed(\d+)", path)
        finals.setdefault(name, []).append((int(seed.group(1)) if seed else 0, records[-1], greedy(path)))
    print("| run group | seeds | final env steps | mean return, last 100 episodes: mean +- se (per seed) | greedy, mean +- se (per seed) |")
    print("|---|---:|---:|---|---|")
    for name, runs in finals.items():
        runs.sort()
        ret = [r["mean_return"] for _, r, _ in runs]
        g = [x for _, _, x in runs if x is not None]
        m, se = mean_se(ret)
        gm = ("%.1f +- %.1f (%s)" % (*mean_se(g), ", ".join("%.1f" % x for x in g))) if g else "-"
        print(f"| {name} | {len(runs)} | {runs[0][1]['env_steps']} | {m:.1f} +- {se:.1f} ({', '.join('%.1f' % x for x in ret)}) | {gm} |")
    raise SystemExit(0)

groups = {}
for path in a.runs:
    records = load(path)
    hit = next((r["env_steps"] for r in records
                if r.get("mean_return") is not None and r.get("episodes", 0) >= 100 and r["mean_return"] >= a.threshold), None)
    final = records[-1] if records else {}
    name = re.sub(r"_seed\d+", "", path.split("/")[-1].rsplit(".", 1)[0])
    groups.setdefault(name, []).append((path, hit, final, records))
    print(f"{path}: {'reached at ' + str(hit) + ' steps' if hit is not None else 'NOT reached'}"
          f" (last line: {final.get('env_steps')} steps, mean return {final.get('mean_return')}, {final.get('seconds', 0):.1f} s)")

print()
for name, runs in groups.items():
    hits = [h for _, h, _, _ in runs if h is not None]
    line = f"{name}: {len(hits)}/{len(runs)} runs reached {a.threshold}"
    if hits:
        line += (f"; steps median {statistics.median(hits):.0f}, mean {statistics.mean(hits):.0f},"
                 f" min {min(hits)}, max {max(hits)}")
    print(line)

if a.png:
    W, H, M = 800, 500, 50
    colours = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207)]
    img = [[(255, 255, 255)] * W for _ in range(H)]
    series = [(gi, [(r["env_steps"], r["mean_return"]) for r in recs if r.get("mean_return") is not None])
              for gi, (name, runs) in enumerate(groups.items()) for _, _, _, recs in runs]
    xs = [x for _, s in series for x, _ in s] or [1]
    ys = [y for _, s in series for _, y in s] + [a.threshold]
    x1, y0, y1 = max(xs), min(ys), max(ys)
    def px(x, y):
        return int(M + (W - 2 * M) * x / x1), int(H - M - (H - 2 * M) * (y - y0) / ((y1 - y0) or 1))
    def line(p, q, c):
        (xa, ya), (xb, yb) = p, q
        n = max(abs(xb - xa), abs(yb - ya), 1)
        for i in range(n + 1):
            x, y = xa + (xb - xa) * i // n, ya + (yb - ya) * i // n
            if 0 <= x < W and 0 <= y < H:
                img[y][x] = c
    line(px(0, y0), px(x1, y0), (0, 0, 0))
    line(px(0, y0), px(0, y1), (0, 0, 0))
    for x in range(M, W - M, 6):  # dashed threshold
        _, y = px(0, a.threshold)
        line((x, y), (x + 2, y), (120, 120, 120))
    for gi, s in series:
        for p0, p1 in zip(s, s[1:]):
            line(px(*p0), px(*p1), colours[gi % len(colours)])
    for gi, name in enumerate(groups):  # legend swatches, top-left, in group order
        for dy in range(8):
            line((M + 10, M + 14 * gi + dy), (M + 40, M + 14 * gi + dy), colours[gi % len(colours)])
    raw = b"".join(b"\x00" + bytes(v for px_ in row for v in px_) for row in img)
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(a.png, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    print(f"\nwrote {a.png}: x = env steps 0..{x1}, y = mean return {y0:.0f}..{y1:.0f}, dashed = {a.threshold};"
          f" legend (top-left, in order): {', '.join(groups)}")
