#!/usr/bin/env bash
# Stop 36: status of issue 18's AVX2 SGEMM criterion at its short sizes, n = 512 and 1024: our AVX2 kernel
# (DOTNET_EnableAVX512=0) against OpenBLAS 0.3.21's Haswell kernels, runs alternating in one process, 1 and 2 threads,
# two passes. usage: docs/results/gemm/stop36/avx2_512_1024.sh > LOG.jsonl (dotnet build Kfac.Bench -c Release first;
# apt-get install libopenblas0-openmp)
set -euo pipefail
cd "$(dirname "$0")/../../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE
for pass in 1 2; do
  for threads in 1 2; do
    DOTNET_EnableAVX512=0 OPENBLAS_CORETYPE=Haswell dotnet $B gemm --sizes 512,1024 --threads $threads --reference openblas --json
  done
done
