#!/usr/bin/env bash
# Stop 48, Zen 3 (family 25 model 1, AVX2, 2 cores): the CPU convolution's patch matrix in pieces of a few images.
# 1. Kfac.Bench conv-products: the ConvNet's convolution products, whole batch with the forward's patches kept (the
#    previous code's lowering) against pieces of 2, 4 and 8 MiB, settings alternating by round in one process.
# 2. Kfac.Bench step, ConvNet SGD batch 128: 4 MiB pieces against the whole batch built in one piece (1 GiB; the
#    backward pass then rebuilds the 80 MB matrix, which the previous code kept), rounds interleaved in one process.
# Ran on commit 933f424's build, where all three products went in pieces; `conv-products` left with them (9b8febd keeps
# pieces for the input gradient only: `conv-input-gradient`). To rerun: git checkout 933f424, build Kfac.Bench.
# usage: docs/results/zen3_stop48/convolution_pieces_measurements.sh > LOG.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for run in 1 2; do
  echo "# conv-products run $run"
  dotnet $B conv-products --piece-bytes 0,2097152,4194304,8388608 --rounds 30 --json
done
for run in 1 2 3; do
  echo "# step pieces vs whole run $run"
  dotnet $B step --model convnet --optimizer sgd --batch 128 --steps 60 --baseline sgd --rounds 12 \
    --conv-piece-bytes 4194304 --baseline-conv-piece-bytes 1073741824 --json
done
