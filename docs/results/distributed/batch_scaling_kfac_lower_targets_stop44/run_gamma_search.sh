#!/usr/bin/env bash
# Stop 44: run.sh's command with section 6.6's gamma search (--gamma-rule Search: every 20 steps the quadratic model
# picks gamma among {omega2 gamma, gamma, gamma / omega2}, omega2 = 0.95^10) instead of gamma tied to lambda.
# Why: in stop 43's runs at 4000 and 8000 lambda reaches its floor (1e-8) by step ~245 with rho ~ 1, so gamma tied
# to lambda sits at sqrt(eta) = 0.00316 for the whole late phase; the search lets the factors' damping follow the model.
# Stop 30 tried the search only to train_error 10 (early phase: no change). Usage: run_gamma_search.sh BATCH:STEPS ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$(git -C "$here" rev-parse --show-toplevel)"
dll=${DLL:-examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll}
mkdir -p "$here/gamma_search"
for spec in "$@"; do
  b=${spec%%:*}; steps=${spec##*:}
  log="$here/gamma_search/kfac_batch${b}_lambda1.5e-3_gammasearch_seed0.jsonl"
  [ -s "$log" ] && continue
  dotnet $dll --data fashion-mnist --batch-size "$b" --optimizer kfac --lambda 1.5e-3 --seed 0 --threads 1 \
    --log-every 1e9 --eval-every-steps 5 --steps "$steps" --inverse-interval 5 --curvature-rows-max 0 --curvature-rows-min 0 \
    --implausible-step shrink --gamma-rule Search --log "$log.tmp" > "$log.txt" 2>&1 && mv "$log.tmp" "$log"
done
