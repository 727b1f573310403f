#!/usr/bin/env bash
# Stop 38: the two 62-row runs that left [0, 1] most (seed 0: batch 1000 with the curvature on 1/16, and batch 500 with
# it on 1/8), again with the quadratic model's momentum bounded to |mu| <= 2 (KfacOptions.MomentumLimit,
# --momentum-limit; the band's minimiser of the model). Compare with ../curvature_rows_b1000/entropy_bound_f0.0625_s0.jsonl
# and ../curvature_rows_b500/f0.125_s0.jsonl (unbounded). One thread per run, both at once. Then the example's default
# (batch 1000, 125 rows, seed 0) with the bound (default_b1000_s0) and without it (default_unbounded_b1000_s0), to
# compare with ../curvature_rows_b1000/f0.125_s0.jsonl (run before either change).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop38/momentum_limit
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
limit=${1:-2}
run() { dotnet $A --data fashion-mnist --batch-size $1 --optimizer kfac --seed 0 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps $2 --curvature-rows-min 0 --curvature-rows-max 0 --stats-fraction $3 --quad-fraction $3 --rho-fraction $3 \
  --momentum-limit $limit --log $out/limit${limit}_b$1_s0.jsonl > $out/limit${limit}_b$1_s0.txt 2>&1; }
run 1000 500 0.0625 & run 500 800 0.125 & wait
D="dotnet $A --data fashion-mnist --batch-size 1000 --optimizer kfac --seed 0 --log-every 1e9 --eval-every-steps 5 --steps 500"
$D --threads 2 --log $out/default_b1000_s0.jsonl > $out/default_b1000_s0.txt 2>&1
$D --threads 1 --momentum-limit Infinity --log $out/default_unbounded_b1000_s0.jsonl > $out/default_unbounded_b1000_s0.txt 2>&1
