#!/usr/bin/env bash
# Stop 25: K-FAC's amortised step over SGD's at batch 1000 (the baseline in its own process, rounds interleaved) for the
# autoencoder's K-FAC settings compared in this folder; two passes over the settings, one JSON line per run.
# usage: docs/results/autoencoder/kfac_fractions_stop25/step_ratio.sh > step_ratio.jsonl   (dotnet build Kfac.Bench -c Release first)
set -euo pipefail
cd "$(dirname "$0")/../../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for pass in 1 2; do
  for s in "0.25 20" "0.125 20" "0.125 10" "0.125 5"; do
    set -- $s
    dotnet $B step --model autoencoder --optimizer kfac --batch 1000 --lambda 0.15 --stats-fraction $1 --quad-fraction $1 \
      --inverse-interval $2 --baseline sgd --baseline-process --rounds 3 --json
  done
done
