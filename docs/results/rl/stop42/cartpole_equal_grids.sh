#!/usr/bin/env bash
# Stop 42: CartPole-v1, ACKTR and A2C each on a 24-point grid over the same axes: environment copies (8, 16) x steps
# per copy (5, 10) x entropy coefficient (0, 0.01) x the step-size knob (ACKTR's trust region delta 0.0025/0.005/0.01,
# A2C's learning rate 0.002/0.005/0.01), held-out seeds 11-20, steps to a mean return of 475 over the last 100 episodes,
# budget 5e5 (bench/rl_grid.py, two runs at a time). Both current no-flag settings are grid points (ACKTR 8 x 10, ent 0,
# delta 0.005; A2C 16 x 10, ent 0, lr 0.005). 4 copies were dropped from stop 41's 36-point script on both sides for
# time (its 4-point ACKTR pilot at 4 x 5: medians 139 610 - 313 940). The two grids are interleaved point by point, so a
# run stopped early has compared equal budgets. Output: cartpole_equal_grids_24x2.txt.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/rl/stop42
seeds=11,12,13,14,15,16,17,18,19,20
grid="[x for e in (8,16) for n in (5,10) for c in (0,0.01) for d, lr in ((0.0025,0.002),(0.005,0.005),(0.01,0.01)) for x in (f'--algo acktr --envs {e} --n-steps {n} --ent-coef {c} --kl-clip {d}', f'--algo a2c --envs {e} --n-steps {n} --ent-coef {c} --lr {lr}')]"
{ echo "# python3 bench/rl_grid.py CartPole-v1 475 500000 $seeds \"$grid\""; python3 bench/rl_grid.py CartPole-v1 475 500000 $seeds "$grid"; } > $out/cartpole_equal_grids_24x2.txt
