#!/usr/bin/env bash
# Stop 41: CartPole-v1, ACKTR and A2C each on a 36-point grid over the same axes (environment copies x steps per copy x
# entropy coefficient x the step-size knob: ACKTR's trust region delta, A2C's learning rate), held-out seeds 11-20,
# steps to a mean return of 475 over the last 100 episodes, budget 5e5 (bench/rl_grid.py, two runs at a time).
# Output: cartpole_{acktr,a2c}_grid36_heldout.txt.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/rl/stop41
seeds=11,12,13,14,15,16,17,18,19,20
acktr="[f'--algo acktr --envs {e} --n-steps {n} --ent-coef {c} --kl-clip {d}' for e in (4,8,16) for n in (5,10) for c in (0,0.01) for d in (0.0025,0.005,0.01)]"
a2c="[f'--algo a2c --envs {e} --n-steps {n} --ent-coef {c} --lr {lr}' for e in (4,8,16) for n in (5,10) for c in (0,0.01) for lr in (0.002,0.005,0.01)]"
{ echo "# python3 bench/rl_grid.py CartPole-v1 475 500000 $seeds \"$acktr\""; python3 bench/rl_grid.py CartPole-v1 475 500000 $seeds "$acktr"; } > $out/cartpole_acktr_grid36_heldout.txt
{ echo "# python3 bench/rl_grid.py CartPole-v1 475 500000 $seeds \"$a2c\""; python3 bench/rl_grid.py CartPole-v1 475 500000 $seeds "$a2c"; } > $out/cartpole_a2c_grid36_heldout.txt
