#!/usr/bin/env bash
# Issue 18: our SGEMM against the system's OpenBLAS 0.3.21 (Debian libopenblas0-openmp), timed in the same process with
# the runs alternating (`Kfac.Bench gemm --reference openblas`), on both kernel paths of this machine:
#   AVX-512: our Vector512 kernel vs OpenBLAS's own choice for this CPU (it picks Cooperlake on Zen 4);
#   AVX2:    DOTNET_EnableAVX512=0 (the .NET 10 switch; the older DOTNET_EnableAVX512F=0 no longer turns Vector512 off)
#            vs OPENBLAS_CORETYPE=Haswell.
# OMP_WAIT_POLICY=PASSIVE: OpenBLAS's OpenMP threads otherwise spin after each call and slow the GEMM timed after it.
# On a CPU without AVX-512 (Zen 3, Intel client parts) the native runs already are the AVX2 path, so the switched runs
# would repeat them and are skipped (stop 37's Zen 3 figures come from this).
# usage: docs/results/gemm/openblas_both_paths.sh > LOG.jsonl   (dotnet build Kfac.Bench -c Release first)
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE
if grep -qw avx512f /proc/cpuinfo; then avx512=true; else avx512=false; fi
for threads in 2 1; do
  dotnet $B gemm --sizes 512,1024,2000,2048 --threads $threads --reference openblas --json
  $avx512 || continue
  DOTNET_EnableAVX512=0 OPENBLAS_CORETYPE=Haswell dotnet $B gemm --sizes 512,1024,2000,2048 --threads $threads --reference openblas --json
done
dotnet $B gemm --shapes autoencoder --batch 1000 --reference openblas --json
$avx512 || exit 0
DOTNET_EnableAVX512=0 OPENBLAS_CORETYPE=Haswell dotnet $B gemm --shapes autoencoder --batch 1000 --reference openblas --json
