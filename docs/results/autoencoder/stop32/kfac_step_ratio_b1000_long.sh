#!/usr/bin/env bash
# Stop 32, the final build: K-FAC's amortised step / SGD's at batch 1000 (autoencoder defaults, rho on 1/8 for B) on the
# AVX-512 path, 9 interleaved rounds per run, stop 31's build (A) and this stop's (B) alternating, two passes each.
# usage: kfac_step_ratio_b1000_long.sh DIR_A DIR_B
set -euo pipefail
for pass in 1 2; do
  for build in A B; do
    dir=$1; extra=""
    if [ $build = B ]; then dir=$2; extra="--rho-fraction 0.125"; fi
    dotnet "$dir/Kfac.Bench.dll" step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 \
      --stats-fraction 0.125 --quad-fraction 0.125 $extra --inverse-interval 10 --baseline sgd --baseline-process --rounds 9 --json \
      | tail -1 | sed "s/^{/{\"build\":\"$build\",\"pass\":$pass,/"
  done
done
