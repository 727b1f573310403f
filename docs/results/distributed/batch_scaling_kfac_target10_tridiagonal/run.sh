#!/usr/bin/env bash
# Stop 29: is the block-diagonal curvature what stops K-FAC's gains beyond batch 4000? The same runs as
# batch_scaling_kfac_target10_lambda_tuned (train_error 10, inverses every 5 steps, evaluated every step, seed 0) at
# batch 1000, 4000 and 8000 with the block-tridiagonal inverse (Martens & Grosse section 4.3), lambda0 1.5e-3 (the
# block-diagonal runs' best at those batch sizes), one setting.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
python3 bench/batch_scaling.py --target 10 --max-steps 120 --eval-every 1 --optimizers kfac --batches 1000,4000,8000 \
  --kfac-lambdas 1.5e-3 --kfac-start 1.5e-3 \
  --extra "--inverse-interval 5 --structure BlockTridiagonal" --out docs/results/distributed/batch_scaling_kfac_target10_tridiagonal
