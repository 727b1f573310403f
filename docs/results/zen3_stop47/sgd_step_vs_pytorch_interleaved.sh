#!/usr/bin/env bash
# Stop 47: issue 18's SGD-step ratios against PyTorch with the two alternating in rounds of a few steps inside one run
# (`Kfac.Bench step --baseline-command`: PyTorch's script serves rounds on request, Kfac.Bench/BaselineProcess.cs),
# instead of whole processes one after another (stop 37's sgd_step_vs_pytorch.sh), so a change of the shared machine's
# load within a minute falls on both sides alike. PASSES passes (default 3) of: the autoencoder (momentum, batch 1000,
# 20 rounds of 5 steps) and the ConvNet (SGD, batch 128, 20 rounds of 5 steps; PyTorch's forward and backward, as in
# stop 37's protocol). OMP_WAIT_POLICY=PASSIVE: PyTorch's OpenMP threads sleep while ours run.
# usage: docs/results/zen3_stop47/sgd_step_vs_pytorch_interleaved.sh [PASSES] > LOG.jsonl
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
B=${BENCH:-Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll}
export OMP_WAIT_POLICY=PASSIVE ONEDNN_MAX_CPU_ISA=AVX2
for pass in $(seq "${1:-3}"); do
  echo "# pass $pass, $(uptime)" >&2
  dotnet "$B" step --model autoencoder --optimizer momentum --batch 1000 --steps 100 --rounds 20 --threads 2 --json \
    --baseline-command "/usr/bin/python3 bench/pytorch_autoencoder_step.py --serve --batch 1000 --threads 2" | tail -1
  dotnet "$B" step --model convnet --optimizer sgd --batch 128 --steps 100 --rounds 20 --threads 2 --json \
    --baseline-command "/usr/bin/python3 bench/pytorch_convnet_step.py --serve --batch 128 --threads 2" | tail -1
done
