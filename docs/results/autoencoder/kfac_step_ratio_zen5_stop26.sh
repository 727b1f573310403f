#!/usr/bin/env bash
# Stop 26 (Zen 5): K-FAC's amortised step over SGD's with the autoencoder example's K-FAC defaults (lambda0 0.15,
# statistics and quadratic model on 1/8 of the batch, inverses every 10 steps), SGD in its own process, 3 rounds
# interleaved, at batch 1000 and 4000, on the AVX-512 path and the AVX2 path (DOTNET_EnableAVX512=0).
# usage: docs/results/autoencoder/kfac_step_ratio_zen5_stop26.sh > LOG.jsonl   (dotnet build Kfac.Bench -c Release first)
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for batch in 1000 4000; do
  for p in "" "DOTNET_EnableAVX512=0"; do
    env $p dotnet $B step --model autoencoder --optimizer kfac --batch $batch --steps $([ $batch = 1000 ] && echo 60 || echo 30) \
      --lambda 0.15 --stats-fraction 0.125 --quad-fraction 0.125 --inverse-interval 10 \
      --baseline sgd --baseline-process --rounds 3 --json | tail -1
  done
done
