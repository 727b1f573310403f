#!/usr/bin/env bash
# Stop 30: does section 6.6's gamma search (instead of gamma tied to lambda, the default) change K-FAC's flat
# iterations-to-train_error-10 at large batches? lambda0 1.5e-3 (the best tied value at both sizes in
# batch_scaling_kfac_target10_lambda_tuned), inverses every 5 steps, train_error every step, seed 0, one thread,
# 45 steps, batch 1000 and 8000 side by side (2 cores). Usage: run.sh [OUT_DIR]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/distributed/batch_scaling_kfac_target10_gamma_search}
dotnet build examples/Autoencoder -c Release -v q -nologo > /dev/null
for b in 1000 8000; do
  dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --batch-size $b --optimizer kfac \
    --lambda 1.5e-3 --seed 0 --threads 1 --log-every 1e9 --eval-every-steps 1 --steps 45 \
    --log $out/kfac_batch${b}_lambda1.5e-3_gamma_search_seed0.jsonl --inverse-interval 5 --gamma-rule search \
    > $out/kfac_batch${b}_lambda1.5e-3_gamma_search_seed0.txt &
done
wait
for b in 1000 8000; do
  python3 -c "import json,sys; ev=[r for r in map(json.loads, open(sys.argv[1])) if r.get('train_error') is not None]; print(sys.argv[2], 'first step at train_error <= 10:', next((r['step'] for r in ev if r['train_error'] <= 10), None))" \
    $out/kfac_batch${b}_lambda1.5e-3_gamma_search_seed0.jsonl $b
done
