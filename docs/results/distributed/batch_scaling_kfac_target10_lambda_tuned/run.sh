#!/usr/bin/env bash
# Stop 29: K-FAC alone, iterations to train_error 10 on the deep autoencoder against the batch size, with the initial
# damping lambda0 tuned per batch size over a grid that reaches far lower than stop 24's (down to 1.5e-6): the stop-24
# pilot at lambda0 0.015 showed lambda falling at the Levenberg-Marquardt rule's largest rate at every batch size
# (rho > 3/4 throughout), i.e. the damping schedule, not gradient noise, set the pace. Inverses every 5 steps,
# train_error evaluated every step, seed 0, everything else the example's defaults.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
python3 bench/batch_scaling.py --target 10 --max-steps 300 --eval-every 1 --optimizers kfac \
  --kfac-lambdas 1.5e-6,1.5e-5,1.5e-4,1.5e-3,1.5e-2,0.15 --kfac-start 1.5e-3 \
  --extra "--inverse-interval 5" --out docs/results/distributed/batch_scaling_kfac_target10_lambda_tuned
