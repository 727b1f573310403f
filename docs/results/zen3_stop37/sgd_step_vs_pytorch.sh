#!/usr/bin/env bash
# Stop 37, on an AMD EPYC Zen 3 (family 25, model 1; AVX2 and FMA, no AVX-512; 2 cores): issue 18's SGD-step criterion
# on the machine kind the issue was filed from. Same protocol as bench/pytorch_vs_ours_step.sh (ours and PyTorch 1.13
# alternating, ROUNDS rounds), but only the native path: on a CPU without AVX-512 .NET and OpenBLAS already take their
# AVX2 kernels, so the environment switches of the AVX2 path are not needed (ONEDNN_MAX_CPU_ISA is kept for symmetry).
# usage: docs/results/zen3_stop37/sgd_step_vs_pytorch.sh [ROUNDS] > LOG.jsonl; then
#        python3 bench/pytorch_vs_ours_summary.py LOG.jsonl
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-5}
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE ONEDNN_MAX_CPU_ISA=AVX2
tag() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); d['path']='$1'; d['side']='$2'; d['round']=$3; print(json.dumps(d))"; }
for r in $(seq 1 "$rounds"); do
  dotnet $B step --model autoencoder --optimizer momentum --batch 1000 --steps 30 --json | tag avx2-native ours-autoencoder $r
  /usr/bin/python3 bench/pytorch_autoencoder_step.py --batch 1000 --threads 2 --steps 30 | tag avx2-native pytorch-autoencoder $r
  dotnet $B step --model convnet --optimizer sgd --batch 128 --steps 30 --json | tag avx2-native ours-convnet $r
  /usr/bin/python3 bench/pytorch_convnet_step.py --batch 128 --threads 2 --steps 30 | tag avx2-native pytorch-convnet $r
done
