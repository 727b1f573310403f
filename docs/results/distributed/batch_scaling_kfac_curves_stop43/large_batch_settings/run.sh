#!/usr/bin/env bash
# Stop 43: do the large batches gain more with settings earlier stops found to help them? The curves of ../run.sh with,
# at batch 4000 and 8000 alike, (a) a shorter memory of the factor statistics (--stats-decay 0.5; stop 33: 4000 31 -> 27
# and 16000 39 -> 32 steps to train_error 10) or (b) a faster fall of lambda (--lambda-decay 0.8; stop 29: 31 -> 29 at
# 4000 and 8000). Everything else as ../run.sh (lambda0 1.5e-3, inverses every 5, implausible steps shortened, seed 0,
# one thread per run, all four at once). Then: python3 ../summarise.py . (or summary.txt)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
dll=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
for setting in "statsdecay0.5 --stats-decay 0.5" "lambdadecay0.8 --lambda-decay 0.8"; do
  set -- $setting; name=$1; shift
  for bs in "8000 360" "4000 480"; do
    read -r batch steps <<< "$bs"
    log="$here/$name/kfac_batch${batch}_lambda1.5e-3_seed0.jsonl"
    mkdir -p "$here/$name"; [ -s "$log" ] && continue
    dotnet $dll --data fashion-mnist --batch-size "$batch" --optimizer kfac --lambda 1.5e-3 --seed 0 --threads 1 \
      --log-every 1e9 --eval-every-steps 5 --steps "$steps" --inverse-interval 5 --curvature-rows-max 0 --curvature-rows-min 0 \
      --implausible-step shrink "$@" --log "$log.tmp" > "$log.txt" 2>&1 && mv "$log.tmp" "$log" &
  done
done
wait
