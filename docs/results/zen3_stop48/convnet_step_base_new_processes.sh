#!/usr/bin/env bash
# Stop 48: the ConvNet SGD step (batch 128, 30 steps, median ms) of the previous build (BASE_DIR: the commit before the
# convolution pieces, built in Release) and of this build as whole processes, alternating, ROUNDS pairs.
# usage: docs/results/zen3_stop48/convnet_step_base_new_processes.sh BASE_DIR [ROUNDS] > LOG.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
base=$1; rounds=${2:-20}
ms() { dotnet "$1"/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll step --model convnet --optimizer sgd --batch 128 --steps 30 | tail -1 | grep -o 'ms_per_step=[0-9.]*' | cut -d= -f2; }
for r in $(seq 1 "$rounds"); do echo "$r base $(ms "$base") new $(ms .)"; done
