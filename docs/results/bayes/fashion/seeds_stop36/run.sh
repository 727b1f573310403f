#!/usr/bin/env bash
# Stop 36: the validation-selected settings of stop 35 (docs/results/bayes/fashion/validation_stop35/selection.txt:
# noisy K-FAC alpha 0.02 x 30 epochs, Adam lr 1e-3 x 20 epochs, K-FAC 20 epochs) retrained with seeds 1-4 as well
# (seed 0 is stop 35's test run), so that the test figures have a spread over training runs. Nothing re-selected.
# Needs `apt-get install dataset-fashion-mnist`, `dotnet build examples/BayesianClassifier -c Release`.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/bayes/fashion/seeds_stop36
B=examples/BayesianClassifier/bin/Release/net10.0/BayesianClassifier.dll
run() { dotnet $B --method "$1" --epochs "$2" ${3:+--lr $3} --threads 1 --seed "$4" --json "$out/test_$1_seed$4.json" > "$out/test_$1_seed$4.log" 2>&1; }
for pair in "1 2" "3 4"; do
  set -- $pair
  run noisy-kfac 30 0.02 $1 & run noisy-kfac 30 0.02 $2 & wait
  run kfac 20 "" $1 & run kfac 20 "" $2 & wait
  run adam 20 1e-3 $1 & run adam 20 1e-3 $2 & wait
done
python3 "$out/summarise.py" > "$out/summary.txt"
cat "$out/summary.txt"
