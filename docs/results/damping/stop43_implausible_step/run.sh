#!/usr/bin/env bash
# Stop 43: K-FAC's library default for a quadratic-model step that predicts a larger decrease than the loss can fall
# (KfacOptions.ImplausibleStep): reject it (no update, lambda x4; the default since stop 12) or shorten it along its
# ray to half the headroom (lambda x 1/omega1; the ConvNet example's default since stop 14). Every example whose
# default run meets such steps, every other option at its default, one process at a time, one thread, seeds 0-2:
#   Tabular (64-64 tanh, batch 128, 200 epochs) on scikit-learn's digits, breast cancer and wine (stop 12's table);
#   Classifier (784-1000-500-10 ReLU, Fashion-MNIST, K-FAC batch 200, one epoch; stop 13's table);
#   Autoencoder at its no-flag settings (batch 1000, 330 steps) and at batch 4000 (100 steps).
# usage: run.sh (writes RULE_*.jsonl beside itself; needs python3-sklearn and the examples built in Release)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
ex=examples
/usr/bin/python3 - "$here" <<'PY'
import sys, os, csv
from sklearn import datasets
for name, load in [("digits", datasets.load_digits), ("breast_cancer", datasets.load_breast_cancer), ("wine", datasets.load_wine)]:
    path = os.path.join(sys.argv[1], name + ".csv")
    if os.path.exists(path): continue
    d = load()
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{i}" for i in range(d.data.shape[1])] + ["label"])
        for x, y in zip(d.data, d.target): w.writerow(list(x) + [int(y)])
PY
run() { # log, dll, args...
  local log="$here/$1"; shift
  [ -s "$log" ] && return 0
  dotnet "$@" --log "$log.tmp" > "$log.txt" 2>&1 && mv "$log.tmp" "$log"
}
for rule in reject shrink; do
  for s in 0 1 2; do
    for d in digits breast_cancer wine; do
      run "${rule}_tabular_${d}_${s}.jsonl" $ex/Tabular/bin/Release/net10.0/Tabular.dll --csv "$here/$d.csv" --epochs 200 --seed $s --log-every 1 --threads 1 --implausible-step $rule
    done
  done
done
for s in 0 1 2; do
  for rule in reject shrink; do
    run "${rule}_classifier_1epoch_seed${s}.jsonl" $ex/Classifier/bin/Release/net10.0/Classifier.dll --data fashion-mnist --epochs 1 --seed $s --log-every 10 --threads 1 --implausible-step $rule
  done
done
for rule in reject shrink; do
  run "${rule}_autoencoder_defaults_330steps_seed0.jsonl" $ex/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --optimizer kfac --steps 330 --seed 0 --log-every 1e9 --eval-every-steps 10 --threads 1 --implausible-step $rule
  run "${rule}_autoencoder_batch4000_100steps_seed0.jsonl" $ex/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --optimizer kfac --batch-size 4000 --steps 100 --seed 0 --log-every 1e9 --eval-every-steps 10 --threads 1 --implausible-step $rule
done
