#!/usr/bin/env bash
# MinAtar Space Invaders, 5M environment steps, seeds 1-5: A2C (baselines' defaults: 16 envs x 5 steps, RMSProp 7e-4)
# against ACKTR (16 envs x 20 steps, conv torso with KFC blocks, eigenbasis damping, lr 0.25 linear) with baselines'
# Atari trust region delta = 0.001 (acktr.py's kfac_clip; the value Breakout's run of stop 28 settled on; 0.03 collapsed
# the policy there). No tuning on either side. Each final policy is evaluated greedily (100 episodes, seed 1000).
# Two streams (2 cores). Usage: run.sh [OUT_DIR]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/rl/minatar_space_invaders_stop29}
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
dotnet build examples/ReinforcementLearning -c Release -v q -nologo > /dev/null
run() { # name, seed, args...
  local name=space_invaders_$1_seed$2; local seed=$2; shift 2
  dotnet $bin --env MinAtar/SpaceInvaders-v1 --hyper default "$@" --seed $seed --timesteps 5000000 --log-every 50000 --log $out/$name.jsonl --checkpoint /tmp/minatar_$name.ckpt > $out/$name.txt
  dotnet $bin --env MinAtar/SpaceInvaders-v1 --evaluate --checkpoint /tmp/minatar_$name.ckpt --episodes 100 --seed 1000 >> $out/$name.txt
}
(for s in 1 3 5; do run acktr_kl0.001 $s --algo acktr --kl-clip 0.001; done; for s in 4 5; do run a2c $s --algo a2c; done) &
(for s in 2 4; do run acktr_kl0.001 $s --algo acktr --kl-clip 0.001; done; for s in 1 2 3; do run a2c $s --algo a2c; done) &
wait
python3 bench/rl_curves.py --final $out/*.jsonl | tee $out/summary.txt
xargs -a $out/plot_args.txt dotnet run -c Release --project tools/Kfac.Plot -- --out docs/figures/rl-minatar-space-invaders.png --size 1400x800 \
  --step-key env_steps --metric mean_return --steps-only --no-kfac --linear-y --title "MinAtar Space Invaders, 5M steps"
