#!/usr/bin/env bash
# Stop 41: both 36-point grids (acrobot_equal_grids.sh) had their best robust setting at an edge (8 copies, 5 steps per
# copy, the smallest delta / learning rate), so each gets the same 22-point extension towards fewer copies, shorter
# rollouts and smaller steps: envs (4, 8) x n-steps (3, 5) x three step sizes x ent_coef (0, 0.01), less the two points
# already run. Held-out seeds 11-20, budget 5e5. Output: acrobot_{acktr,a2c}_grid_extension_heldout.txt.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/rl/stop41
seeds=11,12,13,14,15,16,17,18,19,20
acktr="[f'--algo acktr --envs {e} --n-steps {n} --ent-coef {c} --kl-clip {d}' for e in (4,8) for n in (3,5) for c in (0,0.01) for d in (0.0025,0.005,0.01) if (e, n, d) != (8, 5, 0.01)]"
a2c="[f'--algo a2c --envs {e} --n-steps {n} --ent-coef {c} --lr {lr}' for e in (4,8) for n in (3,5) for c in (0,0.01) for lr in (0.0005,0.00075,0.001) if (e, n, lr) != (8, 5, 0.001)]"
{ echo "# python3 bench/rl_grid.py Acrobot-v1 -100 500000 $seeds \"$acktr\""; python3 bench/rl_grid.py Acrobot-v1 -100 500000 $seeds "$acktr"; } > $out/acrobot_acktr_grid_extension_heldout.txt
{ echo "# python3 bench/rl_grid.py Acrobot-v1 -100 500000 $seeds \"$a2c\""; python3 bench/rl_grid.py Acrobot-v1 -100 500000 $seeds "$a2c"; } > $out/acrobot_a2c_grid_extension_heldout.txt
