#!/usr/bin/env bash
# Stop 33 pilot: does a shorter memory of the factor statistics (--stats-decay 0.5: eps = min(1 - 1/k, 0.5) instead of
# the default 0.95) let K-FAC gain more from large batches? One setting (lambda0 1.5e-3, stop 29's best at 1000-16000),
# seed 0, inverses every 5 steps, train_error every step, one thread per run, two runs at a time; compare with stop 29's
# batch_scaling_kfac_target10_lambda_tuned (decay 0.95). Logs: kfac_batchB_decay0.5_seed0.jsonl.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/distributed/batch_scaling_kfac_target10_stats_decay_pilot
run() {
  dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --batch-size "$1" --optimizer kfac \
    --lambda 1.5e-3 --seed 0 --threads 1 --log-every 1e9 --eval-every-steps 1 --steps "$2" --inverse-interval 5 \
    --stats-decay 0.5 --log "$out/kfac_batch$1_decay0.5_seed0.jsonl" > /dev/null
}
run 1000 60 & run 8000 60 & wait
run 500 80 & run 4000 80 & wait
run 2000 60 & run 16000 60 & wait
python3 - "$out" <<'PY'
import json, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl"), key=lambda p: int(p.split("/")[-1].split("batch")[1].split("_")[0])):
    ev = [(r["step"], r["train_error"]) for r in map(json.loads, open(f)) if r.get("train_error") is not None]
    cross = next((s for s, e in ev if e <= 10), None)
    print(f"{f.split('/')[-1]}: first train_error <= 10 at step {cross if cross else '> %d (%.2f)' % ev[-1]}")
PY
