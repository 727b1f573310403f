#!/usr/bin/env bash
# Stop 32: K-FAC's amortised step / SGD's at batch 1000 (autoencoder defaults: lambda0 0.15, statistics and quadratic model
# on 1/8, inverses every 10), the build before this stop (A: stop 31's HEAD 6b59680, rho on the whole batch) against
# this stop's (B: rho on the quadratic model's 1/8 rows, the triangular inverse's new blocking), alternating, both kernel
# paths. SGD runs in its own process, rounds interleaved inside each run (Kfac.Bench step --baseline-process).
# usage: kfac_step_ratio_b1000_ab.sh DIR_A DIR_B ROUNDS PASSES   (DIR_* hold a Release build of Kfac.Bench)
set -euo pipefail
A=$1; B=$2; rounds=${3:-5}; passes=${4:-2}
for path in 512 256; do
  for pass in $(seq 1 "$passes"); do
    for build in A B; do
      dir=$A; extra=""
      if [ $build = B ]; then dir=$B; extra="--rho-fraction 0.125"; fi
      env $( [ $path = 256 ] && echo DOTNET_EnableAVX512=0 ) dotnet "$dir/Kfac.Bench.dll" step --model autoencoder --optimizer kfac \
        --batch 1000 --steps 60 --lambda 0.15 --stats-fraction 0.125 --quad-fraction 0.125 $extra --inverse-interval 10 \
        --baseline sgd --baseline-process --rounds "$rounds" --json | tail -1 | sed "s/^{/{\"build\":\"$build\",\"path\":\"avx$path\",\"pass\":$pass,/"
    done
  done
done
