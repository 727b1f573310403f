#!/usr/bin/env bash
# Stop 48, Zen 3: fused B packing one micro-panel at a time (--fused-b-panels 1, the previous behaviour) against 8 at a
# time (the new default), alternating processes: the ConvNet's convolution GEMMs at batch 128 and the autoencoder's
# layer products at 250 rows (K-FAC's curvature passes, one row block: the fused path).
# Ran on an uncommitted build with GemmBlocking.FusedBPanels (its --fused-b-panels option left with it); the log is
# that build's second version (group 1 for a transposed B and when the A block fills half the L2), whose autoencoder
# shapes ran the same code at both settings: their 0.87-1.14 spread is this machine's noise.
# usage: docs/results/zen3_stop48/gemm_fused_b_panels.sh [ROUNDS] > LOG.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for r in $(seq 1 "${1:-4}"); do
  for g in 1 8; do
    dotnet $B gemm --shapes convnet --fused-b-panels $g --json | sed "s/^{/{\"fused_b_panels\":$g,\"round\":$r,/"
    dotnet $B gemm --shapes autoencoder --batch 250 --fused-b-panels $g --json | sed "s/^{/{\"fused_b_panels\":$g,\"round\":$r,/"
  done
done
