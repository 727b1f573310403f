#!/usr/bin/env bash
# Stop 45: the autoencoder example at batch 4000 with every other default (lambda0 0.15, curvature on 125 rows, gamma
# tied, synchronous inverses), the inverses refreshed every 10 steps (the default) or every step, seeds 0-2, 300 steps,
# train_error every 5 steps, one GEMM thread per run, two runs at a time (so the training seconds of
# the two settings are measured side by side). usage: run.sh [DLL]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dll=${1:-examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll}
jobs=()
for seed in 0 1 2; do for t in 10 1; do jobs+=("$t $seed"); done; done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 bash -c 'dotnet '"$dll"' --data fashion-mnist --optimizer kfac --batch-size 4000 \
  --inverse-interval $0 --seed $1 --threads 1 --steps 300 --eval-every-steps 5 --log-every 1e9 \
  --log '"$here"'/kfac_interval$0_seed$1.jsonl > '"$here"'/kfac_interval$0_seed$1.txt 2>&1'
