#!/usr/bin/env bash
# Stop 37, Zen 3 (AVX2 only): SGEMM against OpenBLAS 0.3.21 (its Zen = Haswell kernels), runs alternating in one
# process, square sizes on 2 and 1 threads, then the autoencoder's 24 shapes at batch 1000 on 2 threads.
# usage: docs/results/zen3_stop37/gemm_vs_openblas.sh > LOG.jsonl (dotnet build Kfac.Bench -c Release; apt-get install libopenblas0-openmp)
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE
for threads in 2 1; do
  dotnet $B gemm --sizes 512,1024,2000,2048 --threads $threads --reference openblas --json
done
dotnet $B gemm --shapes autoencoder --batch 1000 --reference openblas --json
