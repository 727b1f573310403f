#!/usr/bin/env bash
# Stop 44: run.sh's command with a longer memory of the factor statistics (--stats-decay 0.99: eps = min(1 - 1/k,
# 0.99), about 100 steps, against the default 0.95's 20). Why: in the late phase of run.sh's curves the quadratic model's
# alpha stays 0.02-0.04 with gamma tied or searched, so the direction's quality limits the large batches; a longer
# memory averages the curvature estimate over more rows (stop 43 tried a shorter one, 0.5: slower at 4000 and 8000).
# Usage: run_stats_decay.sh BATCH:STEPS ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
dll=${DLL:-examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll}
mkdir -p "$here/stats_decay_0.99"
for spec in "$@"; do
  b=${spec%%:*}; steps=${spec##*:}
  log="$here/stats_decay_0.99/kfac_batch${b}_lambda1.5e-3_statsdecay0.99_seed0.jsonl"
  [ -s "$log" ] && continue
  dotnet $dll --data fashion-mnist --batch-size "$b" --optimizer kfac --lambda 1.5e-3 --seed 0 --threads 1 \
    --log-every 1e9 --eval-every-steps 5 --steps "$steps" --inverse-interval 5 --curvature-rows-max 0 --curvature-rows-min 0 \
    --implausible-step shrink --stats-decay 0.99 --log "$log.tmp" > "$log.txt" 2>&1 && mv "$log.tmp" "$log"
done
