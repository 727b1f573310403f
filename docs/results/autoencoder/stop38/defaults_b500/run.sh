#!/usr/bin/env bash
# Stop 38: the autoencoder at batch 500 with every default of this stop's final build (K-FAC's curvature on 125 rows,
# |mu| <= 2, the guards' target-entropy bound), seeds 0 and 1, 800 steps, train_error every 5 steps, one thread per
# run, both at once. Compare with ../curvature_rows_b500/f0.25_s<seed>.jsonl (125 rows, unbounded mu) and
# f0.125_s<seed>.jsonl (the former default, 62 rows).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop38/defaults_b500
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
run() { dotnet $A --data fashion-mnist --batch-size 500 --optimizer kfac --seed $1 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps 800 --log $out/defaults_s$1.jsonl > $out/defaults_s$1.txt 2>&1; }
run 0 & run 1 & wait
