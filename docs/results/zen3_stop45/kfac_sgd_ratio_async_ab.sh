#!/usr/bin/env bash
# Stop 45 (issue 18): K-FAC amortised step / SGD step at batch 1000 with the autoencoder example's K-FAC settings (stop
# 38's command, run by ../zen3_stop44/kfac_sgd_ratio_b1000.sh), the inverses synchronous (--inverse-staleness 0) or
# asynchronous (1: computed on a background thread, installed one step later), alternating S = 0 and S = 1 in each
# pass, SGD in its own process, 3 rounds per run. The load average is printed before each run. usage: kfac_sgd_ratio_async_ab.sh [PASSES] [STALENESS values...]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
passes=${1:-4}; shift || true
values=${*:-0 1}
for pass in $(seq 1 "$passes"); do for S in $values; do
  echo "# pass $pass S=$S $(uptime)"
  docs/results/zen3_stop44/kfac_sgd_ratio_b1000.sh 1 --inverse-staleness "$S" 2>&1 | tail -1
done; done
