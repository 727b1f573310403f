#!/usr/bin/env bash
# Stop 30: the 20-split Boston run per method at the example's defaults (1000 epochs, 10 particles, batch 10), splits
# in parallel on the 2 cores, one method after another on an idle machine; the build before stop 31's sampling speed-ups.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/bayes/timing_stop30}
B=examples/BayesianRegression/bin/Release/net10.0/BayesianRegression.dll
for m in noisy-kfac bbb noisy-adam; do
  dotnet $B --dataset boston --method $m --json $out/boston-$m.json > $out/boston-$m.txt 2>&1
done
