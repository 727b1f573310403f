#!/usr/bin/env bash
# Stop 38: the autoencoder at batch 500, K-FAC with the example's defaults (curvature on 1/8 = 62 rows) against the
# curvature on 1/4 = 125 rows; seeds 0 and 1, 800 steps, train_error every 5 steps (f<fraction>_s<seed>.jsonl/.txt),
# one thread per run, two runs at a time. Summary: docs/results/autoencoder/stop36/summarise_curvature_rows.py DIR
# 0.25 0.125 --targets 15,12.14,10,8.5,7.62,7,6.5,6,5.5 > summary_steps.txt
# Needs `apt-get install dataset-fashion-mnist`; `dotnet build examples/Autoencoder -c Release`.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop38/curvature_rows_b500
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
run() { dotnet $A --data fashion-mnist --batch-size 500 --optimizer kfac --seed $2 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps 800 --curvature-rows-min 0 --stats-fraction $1 --quad-fraction $1 --rho-fraction $1 --log $out/f$1_s$2.jsonl > $out/f$1_s$2.txt 2>&1; }
for s in ${*:-0 1}; do run 0.125 $s & run 0.25 $s & wait; done
