#!/usr/bin/env bash
# Stop 35: the Fashion-MNIST calibration comparison with each method's budget (and learning rate) chosen on a validation
# split (--validation 0.1: 6000 of the 60000 training examples, the examples' fixed stratified split), never the test set.
# Grid: noisy K-FAC alpha {0.005, 0.01, 0.02} x epochs {20, 30}, then alpha 0.04 at 30 and 40 epochs at 0.02 (the first
# grid's best sat on both edges); Adam lr {3e-4, 1e-3, 3e-3} x epochs {10, 20, 30}; K-FAC (adapts its own step) epochs
# {5, 10, 20, 30}. Seed 0, one thread per run, two runs at a time (2 cores).
# Then each method's best validation accuracy setting is retrained on the whole training set and tested once.
# Needs `apt-get install dataset-fashion-mnist`, `dotnet build examples/BayesianClassifier -c Release`.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/bayes/fashion/validation_stop35
B=examples/BayesianClassifier/bin/Release/net10.0/BayesianClassifier.dll
val() { dotnet $B --method "$1" --epochs "$2" ${3:+--lr $3} --validation 0.1 --threads 1 --seed 0 --json "$out/val_$1_e$2${3:+_lr$3}.json" > "$out/val_$1_e$2${3:+_lr$3}.log" 2>&1; }
if [ "${1:-}" != "--test-only" ]; then
  val noisy-kfac 20 0.005 & val noisy-kfac 20 0.01 & wait
  val noisy-kfac 20 0.02 & val noisy-kfac 30 0.005 & wait
  val noisy-kfac 30 0.01 & val noisy-kfac 30 0.02 & wait
  val noisy-kfac 30 0.04 & val noisy-kfac 40 0.02 & wait
  for e in 10 20 30; do val adam $e 3e-4 & val adam $e 1e-3 & wait; val adam $e 3e-3; done
  val kfac 5 & val kfac 10 & wait
  val kfac 20 & val kfac 30 & wait
fi
python3 - "$out" > "$out/selection.txt" <<'PY'
import json, glob, sys, re
best = {}
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/val_*.json")):
    r = json.load(open(f))[0]
    m = re.match(r".*/val_(.+)_e(\d+)(?:_lr(.+))?\.json", f)
    method, epochs, lr = m.group(1), int(m.group(2)), m.group(3)
    rows.append((method, epochs, lr, r["validation_accuracy"], r["validation_log_likelihood"], r["ece"]))
    if method not in best or r["validation_accuracy"] > best[method][3]: best[method] = rows[-1]
print("method       epochs  lr      val_acc  val_LL    ECE")
for x in rows: print(f"{x[0]:12s} {x[1]:6d}  {x[2] or '-':7s} {x[3]:.4f}  {x[4]:.4f}  {x[5]:.4f}")
print("best by validation accuracy:")
for m, x in best.items(): print(f"BEST {m} {x[1]} {x[2] or '-'}")
PY
cat "$out/selection.txt"
grep '^BEST' "$out/selection.txt" | while read -r _ m e lr; do
  dotnet $B --method "$m" --epochs "$e" $([ "$lr" != "-" ] && echo --lr "$lr") --threads 1 --seed 0 --json "$out/test_$m.json" > "$out/test_$m.log" 2>&1 &
  [ "$m" = "adam" ] && wait   # at most two at a time
done
wait
grep -h "test accuracy" "$out"/test_*.log
