#!/usr/bin/env bash
# Stop 38: the runs of run.sh that blew up (seed 0, curvature on 1/16 and 1/32 of batch 1000), again with K-FAC's
# guards measuring the objective above the targets' binary entropy (ILoss.TargetLowerBound) instead of above 0, and
# the example's default (1/8, 125 rows) with it, to check it is untouched. entropy_bound_f<fraction>_s0.jsonl/.txt,
# entropy_bound_default_s0.jsonl/.txt.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop38/curvature_rows_b1000
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
run() { dotnet $A --data fashion-mnist --batch-size 1000 --optimizer kfac --seed 0 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps 500 --curvature-rows-min 0 --curvature-rows-max 0 --stats-fraction $1 --quad-fraction $1 --rho-fraction $1 --log $out/entropy_bound_f$1_s0.jsonl > $out/entropy_bound_f$1_s0.txt 2>&1; }
run 0.0625 & run 0.03125 & wait
dotnet $A --data fashion-mnist --batch-size 1000 --optimizer kfac --seed 0 --threads 2 --log-every 1e9 --eval-every-steps 5 --steps 500 \
  --log $out/entropy_bound_default_s0.jsonl > $out/entropy_bound_default_s0.txt 2>&1
