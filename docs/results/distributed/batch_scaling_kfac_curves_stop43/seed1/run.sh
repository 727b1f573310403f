#!/usr/bin/env bash
# Stop 43: ../run.sh's curves at batch 4000 and 8000 with a second seed (--seed 1), as far as train_error ~4.4; then
# python3 ../summarise.py . > summary.txt
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
dll=examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll
for bs in "8000 220" "4000 320"; do
  set -- $bs
  log="$here/kfac_batch$1_lambda1.5e-3_seed1.jsonl"
  [ -s "$log" ] && continue
  dotnet $dll --data fashion-mnist --batch-size "$1" --optimizer kfac --lambda 1.5e-3 --seed 1 --threads 1 \
    --log-every 1e9 --eval-every-steps 5 --steps "$2" --inverse-interval 5 --curvature-rows-max 0 --curvature-rows-min 0 \
    --implausible-step shrink --log "$log.tmp" > "$here/kfac_batch$1.txt" 2>&1 && mv "$log.tmp" "$log" &
done
wait
