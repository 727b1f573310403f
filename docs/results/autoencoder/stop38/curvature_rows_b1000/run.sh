#!/usr/bin/env bash
# Stop 38: the autoencoder at the default batch 1000 with K-FAC's curvature (statistics, quadratic model, rho) on 1/8
# (125 rows, the example's default), 1/16 (62 rows) and 1/32 (31 rows) of the batch, everything else the example's
# defaults; seeds 0 and 1 (1/32: seed 0 only: the run of seed 1 was stopped), 500 steps, train_error every 5 steps (f<fraction>_s<seed>.jsonl/.txt).
# Two runs at a time, one thread each. summary_steps.txt (docs/results/autoencoder/stop36/summarise_curvature_rows.py DIR 0.125 0.0625 0.03125 --targets 15,12.14,10,8.5,7.62,7,6.5,6,5.5): steps to each train_error target (the step times were not
# measured: fewer rows lost in steps and stability, see docs/BENCHMARKS.md, stop 38).
# Needs `apt-get install dataset-fashion-mnist`; `dotnet build examples/Autoencoder Kfac.Bench -c Release`.
# usage: run.sh [SEEDS...]   (default 0 1)
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop38/curvature_rows_b1000
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
run() { dotnet $A --data fashion-mnist --batch-size 1000 --optimizer kfac --seed $2 --threads 1 --log-every 1e9 --eval-every-steps 5 \
  --steps 500 --curvature-rows-min 0 --curvature-rows-max 0 --stats-fraction $1 --quad-fraction $1 --rho-fraction $1 --log $out/f$1_s$2.jsonl > $out/f$1_s$2.txt 2>&1; }
seeds=${*:-0 1}
for s in $seeds; do
  run 0.125 $s & run 0.0625 $s & wait
  run 0.03125 $s
done
