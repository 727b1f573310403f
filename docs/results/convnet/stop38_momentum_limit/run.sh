#!/usr/bin/env bash
# Stop 38: the ConvNet's KFC at every example default (batch 256, statistics and quadratic model on 64 rows, lambda >=
# 0.01, gamma search, implausible steps shortened) with the quadratic model's momentum bounded to |mu| <= 2 (the new
# default, KfacOptions.MomentumLimit) against unbounded (--momentum-limit Infinity, the behaviour before), seeds 0 and 1,
# 300 steps, test accuracy every 10 steps; one thread per run, the two settings of a seed side by side.
# Then: python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --baseline limitInfinity_seedS.jsonl limit2_seedS.jsonl
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/convnet/stop38_momentum_limit
C=examples/ConvNet/bin/Release/net10.0/ConvNet.dll
run() { dotnet $C --data fashion-mnist --optimizer kfac --seed $2 --threads 1 --steps 300 --eval-every-steps 10 --log-every 1e9 \
  --momentum-limit $1 --log $out/limit$1_seed$2.jsonl > $out/limit$1_seed$2.txt 2>&1; }
for s in ${*:-0 1}; do run 2 $s & run Infinity $s & wait; done
