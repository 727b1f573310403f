#!/usr/bin/env python3
"""First-cut cluster projection for distributed K-FAC on the deep autoencoder (alpha-beta model, 100 Gb/s).

Compute figures: docs/BENCHMARKS.md, autoencoder, batch 4000, 2 threads, quiet machine, ms per step (amortised):
forward 80.4, backward 150.8, preconditioning 35.5, quadratic model 26.4, lambda adaptation 16.6,
statistics passes 13.3, statistics update 8.7, inverses 8.5 (T3 = 20 with the gamma trials), update ~3.
Each worker is one such 2-core machine with a per-worker batch of 1000 rows (global batch 1000 P).
Message volumes: measured by Kfac.Bench dkfac-step (factors 6,489,748 floats, parameters 2,837,314 floats).
Network: alpha = 5 us per message step, beta = 100 Gb/s = 12.5 GB/s. Ring all-reduce: 2 (P-1) alpha + 2 (P-1)/P n/beta;
all-gather (owners broadcasting their share of a volume V): (P-1) alpha + (P-1)/P V/beta; small scalars: tree, 2 log2(P) alpha.
"""
import math

ALPHA, BETA = 5e-6, 12.5e9
FACTORS, PARAMS = 6_489_748 * 4, 2_837_314 * 4          # bytes
T3 = 20
b = 1000 / 4000                                          # per-worker share of the measured batch
per_batch = {"fwd_bwd": (80.4 + 150.8) * b, "stats": (13.3 + 8.7) * b, "quad": 26.4 * b, "lambda": 16.6 * b}
precondition, inverses, update = 35.5, 8.5, 3.0          # ms, independent of the batch
# LPT over the 8 dense blocks (n^3 per factor): the largest block's share of the inverse work bounds its division.
layers = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
costs = sorted(((i + 1) ** 3 + o ** 3 for i, o in zip(layers[:-1], layers[1:])), reverse=True)
largest_share = costs[0] / sum(costs)

def allreduce(n, p): return (2 * (p - 1) * ALPHA + 2 * (p - 1) / p * n / BETA) * 1e3
def allgather(v, p): return ((p - 1) * ALPHA + (p - 1) / p * v / BETA) * 1e3
def scalars(p, count=6): return count * 2 * math.log2(p) * ALPHA * 1e3

print(f"largest block's share of the inverse work: {largest_share:.3f}")
print("P | SGD ms (speedup) | K-FAC eager+inverses | K-FAC lazy+inverses | K-FAC lazy+directions | K-FAC lazy+directions+async")
for p in (8, 64, 256):
    sgd = per_batch["fwd_bwd"] + update + allreduce(PARAMS, p) + scalars(p, 1)
    sgd_serial = p * per_batch["fwd_bwd"] + update
    local = sum(per_batch.values()) + update
    inv_div = inverses * max(1 / p, largest_share)
    comm_common = allreduce(PARAMS, p) + scalars(p)
    eager_inv = local + precondition + inv_div + comm_common + allreduce(FACTORS, p) + allgather(FACTORS, p) / T3
    lazy_inv = local + precondition + inv_div + comm_common + allreduce(FACTORS, p) / T3 + allgather(FACTORS, p) / T3
    lazy_dir = local + precondition * max(1 / p, largest_share) + inv_div + comm_common + allreduce(FACTORS, p) / T3 + allgather(PARAMS, p)
    lazy_dir_async = lazy_dir - inv_div
    kfac_serial = p * sum(per_batch.values()) + precondition + inverses + update
    row = [f"{p}", f"{sgd:.1f} ({sgd_serial / sgd:.1f}x)"]
    for t in (eager_inv, lazy_inv, lazy_dir, lazy_dir_async):
        row.append(f"{t:.1f} ({kfac_serial / t:.1f}x)")
    print(" | ".join(row))
    print(f"   comm ms: gradients {allreduce(PARAMS, p):.2f}, statistics eager {allreduce(FACTORS, p):.2f} lazy {allreduce(FACTORS, p) / T3:.2f}, "
          f"inverse broadcast/step {allgather(FACTORS, p) / T3:.2f}, direction broadcast {allgather(PARAMS, p):.2f}, scalars {scalars(p):.2f}")
