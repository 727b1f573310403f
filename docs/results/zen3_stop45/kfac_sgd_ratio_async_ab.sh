#!/usr/bin/env bash
# Stop 45 (issue 18): K-FAC amortised step / SGD step at batch 1000 with the autoencoder example's K-FAC settings (stop
# 38's command), the inverses synchronous (--inverse-staleness 0) or asynchronous (1: computed on a background thread,
# installed one step later), alternating S = 0 and S = 1 in each pass, SGD in its own process, 3 rounds per run. The
# load average is printed before each run. usage: kfac_sgd_ratio_async_ab.sh [PASSES] [STALENESS values...]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
passes=${1:-4}; shift || true
values=${*:-0 1}
for pass in $(seq 1 "$passes"); do for S in $values; do
  echo "# pass $pass S=$S $(uptime)"
  dotnet $B step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 --stats-fraction 0.125 \
    --quad-fraction 0.125 --rho-fraction 0.125 --inverse-interval 10 --stats-interval 1 --inverse-staleness "$S" \
    --baseline sgd --baseline-process --rounds 3 2>&1 | tail -1
done; done
