#!/usr/bin/env bash
# Stop 45: as ../run.sh, but train_error after every step for the first 100 steps, to time the first crossing of
# momentum SGD's final train_error (stop 15: 10.78 / 10.55 / 10.69 on seeds 0-2) to the step. usage: run.sh [DLL]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dll=${1:-examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll}
jobs=()
for seed in 0 1 2; do for s in 0 1; do jobs+=("$s $seed"); done; done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 bash -c 'dotnet '"$dll"' --data fashion-mnist --optimizer kfac \
  --inverse-staleness $0 --seed $1 --threads 1 --steps 100 --eval-every-steps 1 --log-every 1e9 \
  --log '"$here"'/kfac_staleness$0_seed$1.jsonl > '"$here"'/kfac_staleness$0_seed$1.txt 2>&1'
