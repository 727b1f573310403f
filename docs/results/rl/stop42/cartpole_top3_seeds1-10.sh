#!/usr/bin/env bash
# Stop 42: the three best held-out settings (10/10 reached) of each algorithm on cartpole_equal_grids_24x2.txt, on seeds 1-10.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
grid="['--algo acktr --envs 8 --n-steps 10 --ent-coef 0 --kl-clip 0.005', '--algo acktr --envs 8 --n-steps 10 --ent-coef 0 --kl-clip 0.01', '--algo acktr --envs 8 --n-steps 5 --ent-coef 0 --kl-clip 0.005', '--algo a2c --envs 16 --n-steps 5 --ent-coef 0 --lr 0.005', '--algo a2c --envs 16 --n-steps 10 --ent-coef 0 --lr 0.005', '--algo a2c --envs 8 --n-steps 5 --ent-coef 0 --lr 0.002']"
{ echo "# python3 bench/rl_grid.py CartPole-v1 475 500000 1,2,3,4,5,6,7,8,9,10 \"$grid\""; python3 bench/rl_grid.py CartPole-v1 475 500000 1,2,3,4,5,6,7,8,9,10 "$grid"; } > docs/results/rl/stop42/cartpole_top3_seeds1-10.txt
