#!/usr/bin/env bash
# Stop 36: the autoencoder at batch 4000 with K-FAC's curvature (statistics, quadratic model, rho) on 1/8 (500 rows),
# 1/16 (250) and 1/32 (125) of the batch, everything else the example's defaults; seeds 0-2 (1/16: 0-1), 200 steps, train_error
# every 5 steps (f<fraction>_s<seed>.jsonl/.txt), and the step time of each against SGD's (f<fraction>.json).
# Needs `apt-get install dataset-fashion-mnist`; `dotnet build examples/Autoencoder Kfac.Bench -c Release`.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop36/curvature_rows_b4000
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for f in 0.125 0.0625 0.03125; do
  dotnet $B step --model autoencoder --optimizer kfac --batch 4000 --steps 30 --lambda 0.15 --stats-fraction $f --quad-fraction $f \
    --rho-fraction $f --inverse-interval 10 --baseline sgd --baseline-process --rounds 3 --json | tail -1 > $out/f$f.json
done
run() { dotnet $A --data fashion-mnist --batch-size 4000 --optimizer kfac --seed $2 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps 200 --curvature-rows-max 0 --stats-fraction $1 --quad-fraction $1 --rho-fraction $1 --log $out/f$1_s$2.jsonl > $out/f$1_s$2.txt 2>&1; }
for s in 0 1 2; do run 0.125 $s & run 0.03125 $s & wait; done
run 0.0625 0 & run 0.0625 1 & wait
python3 docs/results/autoencoder/stop36/summarise_curvature_rows.py $out 0.125 0.0625 0.03125 > $out/summary.txt
