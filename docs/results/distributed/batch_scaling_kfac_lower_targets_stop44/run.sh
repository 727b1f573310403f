#!/usr/bin/env bash
# Stop 44: stop 43's K-FAC train_error curves on the deep autoencoder (../batch_scaling_kfac_curves_stop43/run.sh: the
# same command, seed 0, lambda0 1.5e-3, inverses every 5, curvature on 1/8 of the batch without the 125-row cap, one
# thread per run, train_error every 5 steps), run further, to read iterations to train_error 4.0 ... 3.5, where stop 43
# saw the 4000 -> 8000 ratio still rising (1.27 / 1.35 / 1.44 / 1.50 / 1.52 at 5 / 4.75 / 4.5 / 4.25 / 4.1).
# The runs are deterministic: every step they share with stop 43's logs has the same values (summarise.py checks).
# Usage: [SEED=1|2] run.sh BATCH:STEPS ...   (two at a time on the 2 cores; seed 0 by default, other seeds go to seed<S>/).
# DLL=... overrides the example's build; run_variant.sh sets EXTRA (flags), OUT (folder), TAG (in the log's name) and
# INTERVAL (the inverse interval, 5 by default).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
dll=${DLL:-examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll}
seed=${SEED:-0}
out=${OUT:-$here}; [ "$seed" = 0 ] || out="$here/seed$seed"
mkdir -p "$out"
for spec in "$@"; do
  b=${spec%%:*}; steps=${spec##*:}
  log="$out/kfac_batch${b}_lambda1.5e-3${TAG:+_$TAG}_seed${seed}.jsonl"
  [ -s "$log" ] && continue
  dotnet $dll --data fashion-mnist --batch-size "$b" --optimizer kfac --lambda 1.5e-3 --seed "$seed" --threads 1 \
    --log-every 1e9 --eval-every-steps 5 --steps "$steps" --inverse-interval "${INTERVAL:-5}" --curvature-rows-max 0 --curvature-rows-min 0 \
    --implausible-step shrink ${EXTRA:-} --log "$log.tmp" > "$log.txt" 2>&1 && mv "$log.tmp" "$log"
done
