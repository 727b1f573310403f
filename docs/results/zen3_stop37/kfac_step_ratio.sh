#!/usr/bin/env bash
# Stop 37, on an AMD EPYC Zen 3 (family 25, model 1; AVX2 and FMA, no AVX-512; 2 cores): K-FAC's amortised step over
# SGD's at the autoencoder example's K-FAC defaults (lambda0 0.15, inverses every 10, statistics / quadratic model / rho
# on 1/8 of the batch and at most 125 rows: 1/8 at batch 1000, 1/32 at 4000), SGD in its own process, 3 rounds
# interleaved; the native (AVX2) path only. Extra arguments go to both runs (e.g. --fuse-b 0).
# usage: docs/results/zen3_stop37/kfac_step_ratio.sh [ARGS] > LOG.jsonl   (dotnet build Kfac.Bench -c Release first)
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for batch in 1000 4000; do
  f=$(python3 -c "print(min(0.125, 125 / $batch))")
  dotnet $B step --model autoencoder --optimizer kfac --batch $batch --steps $([ $batch = 1000 ] && echo 60 || echo 30) \
    --lambda 0.15 --stats-fraction $f --quad-fraction $f --rho-fraction $f --inverse-interval 10 \
    --baseline sgd --baseline-process --rounds 3 --json "$@" | tail -1
done
