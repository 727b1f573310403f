#!/usr/bin/env bash
# Stop 32: the autoencoder's K-FAC with the reduction ratio rho measured on the quadratic model's 1/8 of the batch
# (--rho-fraction 0.125) against the whole batch (the paper's, the default until now), every other option at the
# example's defaults (batch 1000, lambda0 0.15, statistics and quadratic model on 1/8, inverses every 10 steps);
# stop 25's protocol: seeds 0-2, 330 steps, train_error (fixed 10k subset) every 2 steps, one thread per run, two runs
# at once. usage: docs/results/autoencoder/rho_fraction_stop32/run.sh LABEL "FLAGS" [LABEL "FLAGS" ...]
set -euo pipefail
cd "$(dirname "$0")/../../../.."
out=docs/results/autoencoder/rho_fraction_stop32
jobs=()
while [ $# -ge 2 ]; do
  for seed in 0 1 2; do jobs+=("$1|$2|$seed"); done
  shift 2
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -I{} bash -c 'IFS="|" read -r label flags seed <<< "{}"; \
  dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --optimizer kfac $flags --seed $seed \
  --threads 1 --steps 330 --eval-every-steps 2 --log-every 1e9 --log '"$out"'/kfac_${label}_seed${seed}.jsonl \
  > '"$out"'/kfac_${label}_seed${seed}.txt 2>&1'
