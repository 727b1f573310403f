#!/usr/bin/env bash
# Stop 44: issue 18's K-FAC amortised step over SGD's at the autoencoder example's defaults (batch 1000; stop 38's and
# stop 42's command), PASSES passes one after another (default 3), on a quiet machine (the load average is printed).
# usage: kfac_sgd_ratio_b1000.sh [PASSES] [more Kfac.Bench step options, e.g. --inverse-staleness 1]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
lscpu | grep -E "Model name|^CPU\(s\)"; grep -m2 -E "^cpu family|^model\s" /proc/cpuinfo
passes=${1:-3}; shift || true
for pass in $(seq "$passes"); do
  echo "# pass $pass, $(uptime)"
  dotnet $B step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 --stats-fraction 0.125 \
    --quad-fraction 0.125 --rho-fraction 0.125 --inverse-interval 10 --stats-interval 1 --baseline sgd --baseline-process --rounds 3 "$@"
done
