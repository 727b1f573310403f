#!/usr/bin/env bash
# Stop 33: K-FAC's amortised step / SGD's at batch 1000 with the autoencoder example's K-FAC defaults (lambda0 0.15,
# statistics, quadratic model and rho on 1/8, inverses every 10), two builds alternating: A = stop 32's final build,
# B = this stop's. ROUNDS interleaved K-FAC/SGD rounds per run, PASSES passes; extra env (e.g. DOTNET_EnableAVX512=0)
# applies to both.
# usage: kfac_step_ratio_b1000_ab.sh DIR_A DIR_B [ROUNDS] [PASSES]
set -euo pipefail
rounds=${3:-9}; passes=${4:-2}
for pass in $(seq 1 "$passes"); do
  for build in A B; do
    dir=$1; [ $build = B ] && dir=$2
    dotnet "$dir/Kfac.Bench.dll" step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 \
      --stats-fraction 0.125 --quad-fraction 0.125 --rho-fraction 0.125 --inverse-interval 10 --baseline sgd --baseline-process \
      --rounds "$rounds" --json | tail -1 | sed "s/^{/{\"build\":\"$build\",\"pass\":$pass,/"
  done
done
