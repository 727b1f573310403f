#!/usr/bin/env bash
# Stop 43: K-FAC's whole train_error curve on the deep autoencoder at batch 500 ... 8000 (one run per batch size,
# no stop at a target), so that iterations to ANY target can be read from one set of runs: stops 24-36 measured
# iterations to train_error 25 and 10, where K-FAC was flat from batch 2000 on; a pilot to train_error 6 this stop
# (bench/batch_scaling.py --target 6, lambda0 1.5e-3, inverses every 5) gave 295 / 140 / 115 / 105 at 1000 / 2000 /
# 4000 / 8000. Setting: stop 29's best at 1000-16000 (lambda0 1.5e-3, inverses every 5 steps), everything else the
# example's defaults as bench/batch_scaling.py runs them, seed 0, one thread per run, two runs at a time,
# train_error every 5 steps; an implausible quadratic-model step shortened, not rejected (--implausible-step shrink:
# with the library's default, reject, the first steps at batch 2000-8000 were rejected and lambda raised 4x per
# rejection, which slowed those runs by ~15 steps; reject_partial/ has those curves as far as they ran). Then: python3 summarise.py (in this folder) prints first crossings per target.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
dll=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
run() { # batch steps
  local log="$here/kfac_batch$1_lambda1.5e-3_seed0.jsonl"
  [ -s "$log" ] && return 0
  dotnet $dll --data fashion-mnist --batch-size "$1" --optimizer kfac --lambda 1.5e-3 --seed 0 --threads 1 \
    --log-every 1e9 --eval-every-steps 5 --steps "$2" --inverse-interval 5 --curvature-rows-max 0 --curvature-rows-min 0 \
    --implausible-step shrink --log "$log.tmp" > "$log.txt" 2>&1 && mv "$log.tmp" "$log"
}
(run 8000 300; run 1000 900) &
(run 4000 400; run 2000 600) &
wait
# Batch 500 was started after 2000 and stopped for time (the pilot's batch 500 had not reached 6 by step 525). The
# curves kept falling faster at 8000 than at 4000 below train error 5, so 4000 and 8000 again, further, then 1000 and
# 500 (extended/; the same runs, so the same values at every common step; summarise.py takes the longest log):
mkdir -p "$here/extended"
for bs in "8000 360" "4000 480" "1000 1500" "500 1600"; do
  set -- $bs
  [ -s "$here/extended/kfac_batch$1_lambda1.5e-3_seed0.jsonl" ] && continue
  dotnet $dll --data fashion-mnist --batch-size "$1" --optimizer kfac --lambda 1.5e-3 --seed 0 --threads 1 \
    --log-every 1e9 --eval-every-steps 5 --steps "$2" --inverse-interval 5 --curvature-rows-max 0 --curvature-rows-min 0 \
    --implausible-step shrink --log "$here/extended/kfac_batch$1_lambda1.5e-3_seed0.jsonl" > "$here/extended/kfac_batch$1.txt" 2>&1 &
done
wait
