#!/usr/bin/env bash
# Stop 42: issue 18's K-FAC amortised step over SGD's at the autoencoder example's defaults (batch 1000; stop 38's
# command, as stop 41's step_ratio.sh with --stats-interval 1), with loops optimised at first call (the build's
# setting) and with the runtime default (DOTNET_TC_QuickJitForLoops=1), alternating, PASSES passes (default 2).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for pass in $(seq ${1:-2}); do
  for quick in 0 1; do
    echo "# pass $pass, DOTNET_TC_QuickJitForLoops=$quick"
    DOTNET_TC_QuickJitForLoops=$quick dotnet $B step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 --stats-fraction 0.125 \
      --quad-fraction 0.125 --rho-fraction 0.125 --inverse-interval 10 --stats-interval 1 --baseline sgd --baseline-process --rounds 3
  done
done
