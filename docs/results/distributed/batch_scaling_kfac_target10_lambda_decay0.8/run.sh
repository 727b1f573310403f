#!/usr/bin/env bash
# Stop 29: as batch_scaling_kfac_target10_lambda_tuned/run.sh, with the Levenberg-Marquardt rule's per-step factor
# 0.8 instead of the paper's 19/20 (--lambda-decay 0.8: lambda x 0.33 per T1 = 5 steps after a good rho instead of
# x 0.77). There rho stayed near 1 and lambda fell at the rule's largest rate at every batch size, so the rule's speed,
# not the gradient noise, set the pace; this lets lambda fall faster where the quadratic model stays accurate.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
python3 bench/batch_scaling.py --target 10 --max-steps 300 --eval-every 1 --optimizers kfac \
  --kfac-lambdas 1.5e-4,1.5e-3,1.5e-2,0.15,1.5 --kfac-start 1.5e-2 \
  --extra "--inverse-interval 5 --lambda-decay 0.8" --out docs/results/distributed/batch_scaling_kfac_target10_lambda_decay0.8
