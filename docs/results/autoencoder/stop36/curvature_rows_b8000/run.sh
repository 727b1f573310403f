#!/usr/bin/env bash
# Stop 36: the autoencoder at batch 8000, seed 0, 200 steps, K-FAC's curvature on 1/8 (1000 rows) and on 125 rows
# (1/64, the example's default cap), train_error every 5 steps; then the step time of each against SGD's.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
d=docs/results/autoencoder/stop36/curvature_rows_b8000
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
run() { dotnet $A --data fashion-mnist --batch-size 8000 --optimizer kfac --seed 0 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps 200 --curvature-rows-max 0 --stats-fraction $1 --quad-fraction $1 --rho-fraction $1 --log $d/f$1_s0.jsonl > $d/f$1_s0.txt 2>&1; }
run 0.125 & run 0.015625 & wait
for f in 0.125 0.015625; do
  dotnet $B step --model autoencoder --optimizer kfac --batch 8000 --steps 20 --lambda 0.15 --stats-fraction $f --quad-fraction $f \
    --rho-fraction $f --inverse-interval 10 --baseline sgd --baseline-process --rounds 2 --json | tail -1 > $d/f$f.json
done
python3 docs/results/autoencoder/stop36/summarise_curvature_rows.py $d 0.125 0.015625 > $d/summary.txt
