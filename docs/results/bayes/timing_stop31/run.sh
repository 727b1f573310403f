#!/usr/bin/env bash
# Stop 31: the 20-split Boston run per method at the example's defaults (the UCI protocol: 1000 epochs, 10 particles,
# batch 10), splits in parallel on the 2 cores (the default --parallel-splits), one method after another on an
# otherwise idle machine (Zen 5, AVX-512). "seconds" in each JSON is the wall clock of the 20 splits.
# Usage: run.sh [OUT_DIR]    (dotnet build examples/BayesianRegression -c Release first)
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/bayes/timing_stop31}
B=examples/BayesianRegression/bin/Release/net10.0/BayesianRegression.dll
for m in noisy-kfac bbb noisy-adam; do
  dotnet $B --dataset boston --method $m --json $out/boston-$m.json > $out/boston-$m.txt 2>&1
done
