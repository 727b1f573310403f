#!/usr/bin/env bash
# Stop 48, Zen 3 (family 25 model 1, AVX2, 2 cores): the ConvNet SGD step (batch 128) of the previous build (BASE, a
# checkout of the commit before the change, built in Release) and of this build, each against PyTorch 1.13, all three
# alternating round by round (stop 37's whole-process protocol, docs/results/zen3_stop37/sgd_step_vs_pytorch.sh).
# run1-run3 ran with all three products in pieces (commits ff6c560 / 933f424; base = 0e2604a).
# usage: docs/results/zen3_stop48/convnet_step_vs_pytorch_base_new.sh BASE_DIR [ROUNDS] > LOG.jsonl
set -euo pipefail
cd "$(dirname "$0")/../../.."
base=$1; rounds=${2:-5}
export OMP_WAIT_POLICY=PASSIVE ONEDNN_MAX_CPU_ISA=AVX2
tag() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); d['side']='$1'; d['round']=$2; print(json.dumps(d))"; }
for r in $(seq 1 "$rounds"); do
  dotnet "$base"/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll step --model convnet --optimizer sgd --batch 128 --steps 30 --json | tag base-convnet $r
  dotnet Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll step --model convnet --optimizer sgd --batch 128 --steps 30 --json | tag new-convnet $r
  /usr/bin/python3 bench/pytorch_convnet_step.py --batch 128 --threads 2 --steps 30 | tag pytorch-convnet $r
done
