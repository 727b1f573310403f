#!/usr/bin/env bash
# Issue 18: our SGD step against PyTorch's on the same machine and ISA path, the two programs alternating (ROUNDS rounds
# of: ours, PyTorch; then the same on the AVX2 path), so drift in the machine's load falls on both. Prints one JSON line
# per run; summarise with bench/pytorch_vs_ours_summary.py.
#   AVX-512 path: our Vector512 kernels; PyTorch 1.13 (Debian python3-torch) on OpenBLAS's own pick (Cooperlake on Zen 4)
#   AVX2 path:    DOTNET_EnableAVX512=0 (the .NET 10 switch), OPENBLAS_CORETYPE=Haswell, ONEDNN_MAX_CPU_ISA=AVX2 (PyTorch's
#                 convolutions are oneDNN JIT kernels that pick the CPU's widest ISA themselves: without it they run
#                 jit:avx512_core on an AVX-512 machine, as ONEDNN_VERBOSE=1 shows; stop 25's AVX2 ConvNet figures
#                 lacked it) and ATEN_CPU_CAPABILITY=avx2 (ATen's own kernels; this build reports AVX2 anyway)
# Needs: apt-get install python3-torch libopenblas0-openmp; dotnet build Kfac.Bench -c Release.
# usage: bench/pytorch_vs_ours_step.sh [ROUNDS] > LOG.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE
tag() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); d['path']='$1'; d['side']='$2'; d['round']=$3; print(json.dumps(d))"; }
# On a CPU without AVX-512 (Zen 3, Intel client parts) the native run already is the AVX2 path: only that one runs.
if grep -qw avx512f /proc/cpuinfo; then paths="avx512 avx2"; else paths="avx2"; fi
for r in $(seq 1 "$rounds"); do
  for path in $paths; do
    if [ $path = avx2 ]; then env="DOTNET_EnableAVX512=0 OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2"; else env=""; fi
    env $env dotnet $B step --model autoencoder --optimizer momentum --batch 1000 --steps 30 --json | tag $path ours-autoencoder $r
    env $env /usr/bin/python3 bench/pytorch_autoencoder_step.py --batch 1000 --threads 2 --steps 30 | tag $path pytorch-autoencoder $r
    env $env dotnet $B step --model convnet --optimizer sgd --batch 128 --steps 30 --json | tag $path ours-convnet $r
    env $env /usr/bin/python3 bench/pytorch_convnet_step.py --batch 128 --threads 2 --steps 30 | tag $path pytorch-convnet $r
  done
done
