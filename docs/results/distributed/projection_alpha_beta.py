#!/usr/bin/env python3
"""Cluster projection for distributed K-FAC (alpha-beta network model, 100 Gb/s): the deep autoencoder and the ConvNet.

Each worker is one 2-core machine like ours running the measured per-phase times (docs/BENCHMARKS.md, quiet machine),
with the per-batch phases scaled to its share of the global batch:
- Autoencoder, batch 4000, 2 threads, ms per step (amortised): forward 80.4, backward 150.8, preconditioning 35.5,
  quadratic model 26.4, lambda adaptation 16.6, statistics passes 13.3, statistics update 8.7, inverses 8.5
  (T3 = 20 with the gamma trials), update ~3. Per-worker batch 1000 (global 1000 P).
- ConvNet (KFC), batch 128, statistics and quadratic model on 1/4, 2 threads ("ConvNet step time vs PyTorch"): forward
  44.9, backward 60.5, preconditioning 107.0, inverses 67.4 with three refreshes per T3 = 20 (the gamma trials then;
  one refresh with gamma tied to lambda, the default now: 22.5), quadratic model 43.9, statistics update 41.4,
  statistics passes 24.7, lambda 9.2, update 5.1. Per-worker batch 128 (global 128 P). The statistics update (the
  factor covariances, mostly conv2's 801 x 801 over 6272 patches per 32 images) scales with the statistics rows.
Message volumes: the statistics all-reduce and the inverse broadcasts move the symmetric matrices' lower triangles
(since stop 33; autoencoder 3,249,192 floats, measured by Kfac.Bench dkfac-step, against 6,489,748 stored full;
ConvNet: the sum of n(n+1)/2 over n = 26, 32, 801, 64, 3137, 1024, 1025, 10 = 6,296,793, against 12,587,467 full),
parameters (2,837,314 and 3,274,634 floats).
Network: alpha = 5 us per message step, beta = 100 Gb/s = 12.5 GB/s. Ring all-reduce: 2 (P-1) alpha + 2 (P-1)/P n/beta;
all-gather (owners broadcasting their share of a volume V): (P-1) alpha + (P-1)/P V/beta; small scalars: tree,
2 log2(P) alpha each.
Work that does not shrink with the per-worker batch (preconditioning, inverses) is divided over the ranks by LPT over
blocks, so it is bounded below by the largest block's share: n^3 per factor for inverses, 2 d_out d_in (d_in + d_out)
per block for preconditioning.
"""
import math

ALPHA, BETA = 5e-6, 12.5e9
T3 = 20

def allreduce(n, p): return (2 * (p - 1) * ALPHA + 2 * (p - 1) / p * n / BETA) * 1e3
def allgather(v, p): return ((p - 1) * ALPHA + (p - 1) / p * v / BETA) * 1e3
def scalars(p, count=6): return count * 2 * math.log2(p) * ALPHA * 1e3

def shares(blocks):
    inv = sorted((a ** 3 + g ** 3 for a, g in blocks), reverse=True)
    pre = sorted((2 * g * a * (a + g) for a, g in blocks), reverse=True)
    return inv[0] / sum(inv), pre[0] / sum(pre)

ae_layers = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
MODELS = {
    "autoencoder": dict(
        blocks=[(i + 1, o) for i, o in zip(ae_layers[:-1], ae_layers[1:])],
        scale=1000 / 4000, per_batch={"fwd_bwd": 80.4 + 150.8, "stats": 13.3 + 8.7, "quad": 26.4, "lambda": 16.6},
        precondition=35.5, inverses=8.5, update=3.0, factors=3_249_192 * 4, params=2_837_314 * 4),
    "convnet": dict(
        blocks=[(26, 32), (801, 64), (3137, 1024), (1025, 10)],
        scale=1.0, per_batch={"fwd_bwd": 44.9 + 60.5, "stats": 41.4 + 24.7, "quad": 43.9, "lambda": 9.2},
        precondition=107.0, inverses=67.4 / 3, update=5.1, factors=6_296_793 * 4, params=3_274_634 * 4),
}

for name, m in MODELS.items():
    inv_share, pre_share = shares(m["blocks"])
    per_batch = {k: v * m["scale"] for k, v in m["per_batch"].items()}
    pre, inv, upd, F, W = m["precondition"], m["inverses"], m["update"], m["factors"], m["params"]
    print(f"\n## {name}: largest block's share of the inverse work {inv_share:.3f}, of the preconditioning {pre_share:.3f}")
    print("P | SGD ms (speedup) | K-FAC eager+inverses | K-FAC lazy+inverses | K-FAC lazy+directions | K-FAC lazy+directions+async")
    for p in (8, 64, 256):
        sgd = per_batch["fwd_bwd"] + upd + allreduce(W, p) + scalars(p, 1)
        sgd_serial = p * per_batch["fwd_bwd"] + upd
        local = sum(per_batch.values()) + upd
        inv_div = inv * max(1 / p, inv_share)
        comm_common = allreduce(W, p) + scalars(p)
        eager_inv = local + pre + inv_div + comm_common + allreduce(F, p) + allgather(F, p) / T3
        lazy_inv = local + pre + inv_div + comm_common + allreduce(F, p) / T3 + allgather(F, p) / T3
        lazy_dir = local + pre * max(1 / p, pre_share) + inv_div + comm_common + allreduce(F, p) / T3 + allgather(W, p)
        lazy_dir_async = lazy_dir - inv_div
        kfac_serial = p * sum(per_batch.values()) + pre + inv + upd
        row = [f"{p}", f"{sgd:.1f} ({sgd_serial / sgd:.1f}x)"]
        for t in (eager_inv, lazy_inv, lazy_dir, lazy_dir_async):
            row.append(f"{t:.1f} ({kfac_serial / t:.1f}x)")
        print(" | ".join(row))
        print(f"   comm ms: gradients {allreduce(W, p):.2f}, statistics eager {allreduce(F, p):.2f} lazy {allreduce(F, p) / T3:.2f}, "
              f"inverse broadcast/step {allgather(F, p) / T3:.2f}, direction broadcast {allgather(W, p):.2f}, scalars {scalars(p):.2f}")
