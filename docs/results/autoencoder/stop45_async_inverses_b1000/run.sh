#!/usr/bin/env bash
# Stop 45: convergence of asynchronous inverses at the autoencoder example's defaults of today (batch 1000, lambda0 0.15,
# curvature on 125 rows, inverses every 10 steps): synchronous (--inverse-staleness 0) against S = 1 (the refresh of
# step k0 computed on a background thread from step k0's statistics, installed at the start of step k0 + 1), seeds 0-2,
# STEPS steps (330), train_error every EVAL steps (5), one GEMM thread per run, two runs at a time, logs in OUT (this
# folder). Per-iteration figures: the machine's load does not change them. eval_every_step/run.sh: 100 steps, EVAL=1.
# usage: [STEPS=N EVAL=N OUT=DIR] run.sh [DLL]   (DLL: a copy of examples/Autoencoder's build, default the build itself)
set -euo pipefail
out=${OUT:-"$(cd "$(dirname "$0")" && pwd)"}
dll=${1:-examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll}
jobs=()
for seed in 0 1 2; do for s in 0 1; do jobs+=("$s $seed"); done; done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 bash -c 'dotnet '"$dll"' --data fashion-mnist --optimizer kfac \
  --inverse-staleness $0 --seed $1 --threads 1 --steps '"${STEPS:-330}"' --eval-every-steps '"${EVAL:-5}"' --log-every 1e9 \
  --log '"$out"'/kfac_staleness$0_seed$1.jsonl > '"$out"'/kfac_staleness$0_seed$1.txt 2>&1'
