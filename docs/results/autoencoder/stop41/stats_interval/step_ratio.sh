#!/usr/bin/env bash
# Stop 41: K-FAC's amortised step over SGD's at the autoencoder example's defaults (batch 1000, curvature on 125 rows,
# inverses every 10), statistics every step (--stats-interval 1, the default) and every 2 steps, the two alternating,
# PASSES passes (default 2); SGD in its own process, 3 rounds interleaved per run (stop 38's command).
# usage: step_ratio.sh [PASSES] > step_ratio.log
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for pass in $(seq ${1:-2}); do
  for si in 1 2; do
    echo "# pass $pass, --stats-interval $si"
    dotnet $B step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 --stats-fraction 0.125 \
      --quad-fraction 0.125 --rho-fraction 0.125 --inverse-interval 10 --stats-interval $si --baseline sgd --baseline-process --rounds 3
  done
done
