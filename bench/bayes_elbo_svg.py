#!/usr/bin/env python3
"""ELBO against iterations (the talk's "Preliminary results: ELBO" figure) from examples/BayesianRegression
--elbo-log JSON lines, as a dependency-free SVG. Usage: bayes_elbo_svg.py OUT.svg LOG.jsonl [LOG.jsonl ...]"""
import json
import sys

out, logs = sys.argv[1], sys.argv[2:]
series = {}
for f in logs:
    for line in open(f):
        r = json.loads(line)
        series.setdefault(f"{r['dataset']} {r['method']}", []).append((r["iteration"], r["elbo"]))
pts = [p for s in series.values() for p in s]
# clip the first epochs' very low values so the end of training is readable
ys = sorted(y for _, y in pts)
ymin, ymax = ys[len(ys) // 20], ys[-1]
xmax = max(x for x, _ in pts)
W, H, L, B = 720, 440, 80, 50
sx = lambda x: L + (W - L - 20) * x / xmax
sy = lambda y: 20 + (H - B - 20) * (ymax - max(y, ymin)) / (ymax - ymin)
colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{L}" y1="{H-B}" x2="{W-20}" y2="{H-B}" stroke="black"/><line x1="{L}" y1="20" x2="{L}" y2="{H-B}" stroke="black"/>',
       f'<text x="{W/2}" y="{H-10}" text-anchor="middle">iteration</text>',
       f'<text x="15" y="{H/2}" transform="rotate(-90 15 {H/2})" text-anchor="middle">ELBO (epoch-mean mini-batch estimate)</text>']
for k in range(5):
    y = ymin + (ymax - ymin) * k / 4
    svg.append(f'<text x="{L-5}" y="{sy(y)+4:.1f}" text-anchor="end">{y:.0f}</text>')
    x = xmax * k / 4
    svg.append(f'<text x="{sx(x):.1f}" y="{H-B+16}" text-anchor="middle">{x:.0f}</text>')
for i, (name, s) in enumerate(sorted(series.items())):
    c = colors[i % len(colors)]
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
    svg.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{path}"/>')
    svg.append(f'<text x="{W-200}" y="{H-B-20-16*i}" fill="{c}">{name}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
