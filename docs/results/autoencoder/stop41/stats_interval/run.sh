#!/usr/bin/env bash
# Stop 41: the autoencoder at the example's defaults (batch 1000, curvature on 125 rows, inverses every 10) with K-FAC's
# factor statistics every step (the default, "base"), every 2 steps ("si2") and every 2 steps with the statistics'
# decay 0.9 ("si2d90": the same memory in steps as 0.95 per step); seeds 0-2, 500 steps, train_error every 5 steps
# (<variant>_s<seed>.jsonl/.txt). Two runs at a time, one thread each (base and si2 of a seed side by side).
# Needs `apt-get install dataset-fashion-mnist`; `dotnet build examples/Autoencoder -c Release`.
# usage: run.sh [SEEDS...]   (default 0 1 2)
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop41/stats_interval
A=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
run() { local name=$1 seed=$2; shift 2
  dotnet $A --data fashion-mnist --optimizer kfac --seed $seed --threads 1 --log-every 1e9 --eval-every-steps 5 --steps 500 \
    "$@" --log $out/${name}_s$seed.jsonl > $out/${name}_s$seed.txt 2>&1; }
seeds=${*:-0 1 2}
for s in $seeds; do run base $s & run si2 $s --stats-interval 2 & wait; done
for s in $seeds; do run si2d90 $s --stats-interval 2 --stats-decay 0.9 & done; wait
