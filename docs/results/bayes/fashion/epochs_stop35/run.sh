#!/usr/bin/env bash
# Stop 35: the Fashion-MNIST calibration comparison at 20 and 30 epochs (stop 31 ran 10), each method at its defaults,
# seed 0, one thread per run, two runs at a time (Zen 5, 2 cores). Needs `apt-get install dataset-fashion-mnist` and
# `dotnet build examples/BayesianClassifier -c Release`. Logs: METHOD_eEPOCHS.log / .json beside this script.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/bayes/fashion/epochs_stop35
B=examples/BayesianClassifier/bin/Release/net10.0/BayesianClassifier.dll
run() { dotnet $B --method "$1" --epochs "$2" --threads 1 --seed 0 --json "$out/$1_e$2.json" > "$out/$1_e$2.log" 2>&1; }
run noisy-kfac 20 & run noisy-kfac 30 & wait
run kfac 20 & run adam 20 & wait
run kfac 30 & run adam 30 & wait
