#!/usr/bin/env python3
"""Reference timing: PyTorch (CPU) forward + backward of the ConvNet example
(conv 5x5 32 pad 2 - relu - maxpool 2 - conv 5x5 64 pad 2 - relu - maxpool 2 - dense 3136->1024 - relu - dense 10)
at batch 128, softmax cross-entropy. Reports the whole network and the convolutional part alone
(the two conv blocks: PyTorch runs convolutions on oneDNN, while Debian's build runs Linear on a generic BLAS).

usage: python3 bench/pytorch_convnet_step.py [--batch 128] [--threads 2] [--steps 20] [--serve]

--serve: the whole network's step served on Kfac.Bench's baseline protocol (see pytorch_autoencoder_step.py).
"""
import argparse, json, os, statistics, sys, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=128)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--serve", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
features = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
head = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3136, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10))
x = torch.rand(a.batch, 1, 28, 28)
y = torch.randint(0, 10, (a.batch,))
loss_fn = torch.nn.CrossEntropyLoss()

def whole():
    for p_ in list(features.parameters()) + list(head.parameters()):
        p_.grad = None
    loss_fn(head(features(x)), y).backward()

def conv_part():
    for p_ in features.parameters():
        p_.grad = None
    features(x).sum().backward()

def median_ms(f):
    for _ in range(3):
        f()
    t = []
    for _ in range(a.steps):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(t), 2)

if a.serve:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from baseline_protocol import serve
    for _ in range(3):
        whole()
    serve(whole)
    sys.exit(0)

print(json.dumps({"framework": "pytorch " + torch.__version__, "model": "convnet", "batch": a.batch, "threads": a.threads,
                  "mkldnn": torch.backends.mkldnn.is_available(),
                  "ms_forward_backward": median_ms(whole), "ms_conv_part_forward_backward": median_ms(conv_part)}))
