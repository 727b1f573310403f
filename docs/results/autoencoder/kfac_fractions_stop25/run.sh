#!/usr/bin/env bash
# Stop 25: the autoencoder's K-FAC with every example default (lambda0 0.15, batch 1000, statistics and quadratic model on
# 1/4 of the batch, inverses every 20 steps) against smaller statistics / quadratic-model fractions and shorter inverse
# intervals, seeds 0-2, 330 steps, train_error (fixed 10k subset) every 2 steps, one thread per run, two runs at once.
# usage: docs/results/autoencoder/kfac_fractions_stop25/run.sh LABEL "FLAGS" [LABEL "FLAGS" ...]
set -euo pipefail
cd "$(dirname "$0")/../../../.."
out=${OUT:-docs/results/autoencoder/kfac_fractions_stop25}   # OUT=DIR: another study with the same protocol (stop 32's)
jobs=()
while [ $# -ge 2 ]; do
  for seed in 0 1 2; do jobs+=("$1|$2|$seed"); done
  shift 2
done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -I{} bash -c 'IFS="|" read -r label flags seed <<< "{}"; \
  dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --optimizer kfac $flags --seed $seed \
  --threads 1 --steps 330 --eval-every-steps 2 --log-every 1e9 --log '"$out"'/kfac_${label}_seed${seed}.jsonl \
  > '"$out"'/kfac_${label}_seed${seed}.txt 2>&1'
