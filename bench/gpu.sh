#!/usr/bin/env bash
# GPU benchmarks of the ILGPU backend on a CUDA machine (Kfac.Bench `gpu` command):
# SGEMM 1024-8192, covariance SYRK and Cholesky/SPD inverse 1000-4000, deep-autoencoder steps (SGD, K-FAC) at
# batch 1000 and 8000, ConvNet steps (SGD, K-FAC) at batch 128. Builds Release, then writes one JSON object per line to $1 (default gpu-bench.jsonl).
# Budget: under 5 minutes on an H100/H200 including the build. Fails (exit 3) when there is no CUDA device.
#
#   bench/gpu.sh [output.jsonl] [extra Kfac.Bench options, e.g. --only gemm --runs 9]
set -euo pipefail

out="${1:-gpu-bench.jsonl}"
shift || true
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if command -v nvidia-smi >/dev/null 2>&1; then
    if ! gpus="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)" || [ -z "$gpus" ]; then
        echo "gpu.sh: nvidia-smi found no NVIDIA GPU; this benchmark needs a CUDA device" >&2
        exit 3
    fi
    echo "GPU: $gpus" >&2
else
    echo "gpu.sh: nvidia-smi not found; the benchmark will ask ILGPU for a CUDA device" >&2
fi

echo "building Release ..." >&2
dotnet build Kfac.Bench -c Release --nologo -v quiet >&2

status=0
timeout 270 dotnet Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll gpu --device cuda --json "$@" > "$out" || status=$?
case "$status" in
    0) echo "wrote $(wc -l < "$out") results to $out" >&2 ;;
    3) echo "gpu.sh: no CUDA device available to ILGPU (see the message above); nothing was measured" >&2; exit 3 ;;
    124) echo "gpu.sh: the benchmark exceeded its 270 s budget; partial results are in $out" >&2; exit 124 ;;
    *) echo "gpu.sh: the benchmark failed with exit code $status; partial results are in $out" >&2; exit "$status" ;;
esac
