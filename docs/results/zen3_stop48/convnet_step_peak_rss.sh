#!/usr/bin/env bash
# Stop 48: peak resident memory of a ConvNet SGD run (batch 128, 10 timed steps after the bench's warm-up) with the
# previous build (BASE_DIR: 0e2604a, W^T dY built whole) and this build (W^T dY in 4 MiB pieces), 3 runs each.
# usage: docs/results/zen3_stop48/convnet_step_peak_rss.sh BASE_DIR > LOG.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
for i in 1 2 3; do
  for d in "$1" .; do
    kb=$( /usr/bin/time -v dotnet "$d"/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll step --model convnet --optimizer sgd --batch 128 --steps 10 2>&1 | grep 'Maximum resident' | grep -o '[0-9]*$')
    echo "$([ "$d" = . ] && echo new || echo base) max_rss_kb $kb"
  done
done
