#!/usr/bin/env python3
"""Reference timing: PyTorch (CPU) forward + backward + SGD update of the K-FAC paper's deep autoencoder
(784-1000-500-250-30-250-500-1000-784, logistic hidden units, linear code layer) at a given batch size.
Prints one JSON line with the median milliseconds per step. Used by docs/BENCHMARKS.md to compare
Kfac.Bench's `step` command with PyTorch on the same machine.

usage: python3 bench/pytorch_autoencoder_step.py [--batch 1000] [--threads 2] [--steps 20] [--loss mse|bce] [--serve]

--serve: after the warm-up, answer Kfac.Bench's baseline protocol on stdin/stdout instead ("ready", then each
"run K" gets the K steps' milliseconds on one line, "quit" ends), so `Kfac.Bench step --baseline-command
"python3 bench/pytorch_autoencoder_step.py --serve"` alternates ours and PyTorch in rounds of a few steps.
"""
import argparse, json, os, statistics, sys, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=1000)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--loss", choices=["mse", "bce"], default="bce")
p.add_argument("--serve", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i + 2 < len(sizes) and i != 3:  # logistic everywhere except the code layer and the output
        layers.append(torch.nn.Sigmoid())
model = torch.nn.Sequential(*layers)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(a.batch, 784)
loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum") if a.loss == "bce" else torch.nn.MSELoss(reduction="sum")

def step():
    opt.zero_grad(set_to_none=False)
    out = model(x)
    loss = loss_fn(out, x) / a.batch
    loss.backward()
    opt.step()

for _ in range(3):
    step()
if a.serve:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from baseline_protocol import serve
    serve(step)
    sys.exit(0)
times = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
print(json.dumps({"framework": "pytorch " + torch.__version__, "model": "autoencoder", "optimizer": "momentum",
                  "batch": a.batch, "threads": a.threads, "loss": a.loss,
                  "ms_per_step": round(1000 * statistics.median(times), 2)}))
