#!/usr/bin/env bash
# Pendulum-v1, 1M environment steps: ACKTR (rl-baselines-zoo's ACKTR Pendulum settings: 8 envs, gamma 0.95,
# ent_coef 0; everything else ACKTR's defaults) against PPO tuned on seed 1 over gamma {0.9, 0.95, 0.99} x lr
# {3e-4, 1e-3} x schedule {constant, linear} (rl-baselines3-zoo's PPO Pendulum-v1 layout: 4 envs x 1024 steps, GAE
# 0.95, 10 epochs, ent_coef 0; no gSDE), then seeds 1-5 of the two best. Every final policy is also evaluated
# greedily (200 episodes). Two runs at a time (2 cores). Usage: run.sh [OUT_DIR]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/rl/pendulum_stop27}
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
dotnet build examples/ReinforcementLearning -c Release -v q -nologo > /dev/null
run() { # name, args...
  local name=$1; shift
  dotnet $bin --env Pendulum-v1 --timesteps 1000000 --log-every 20000 --log $out/$name.jsonl --checkpoint /tmp/pendulum_$name.ckpt "$@" > $out/$name.txt
  dotnet $bin --env Pendulum-v1 --evaluate --checkpoint /tmp/pendulum_$name.ckpt --episodes 200 --seed 1000 >> $out/$name.txt
}
pair() { run "$@" & }
ACKTR="--algo acktr --envs 8 --gamma 0.95 --ent-coef 0"
PPO="--algo ppo --envs 4 --n-steps 1024 --gae-lambda 0.95 --epochs 10 --ent-coef 0"
for s in 1 2 3 4 5; do pair acktr_seed$s $ACKTR --seed $s; [ $((s % 2)) = 0 ] && wait; done; wait
for g in 0.9 0.95 0.99; do for lr in 0.0003 0.001; do
  pair ppo_grid_g${g}_lr${lr}_constant_seed1 $PPO --gamma $g --lr $lr --seed 1
  run ppo_grid_g${g}_lr${lr}_linear_seed1 $PPO --gamma $g --lr $lr --lr-schedule linear --seed 1; wait
done; done
for s in 2 3 4 5; do
  pair ppo_grid_g0.99_lr0.001_linear_seed$s $PPO --gamma 0.99 --lr 0.001 --lr-schedule linear --seed $s
  run ppo_grid_g0.95_lr0.0003_constant_seed$s $PPO --gamma 0.95 --lr 0.0003 --seed $s; wait
done
python3 bench/rl_curves.py --final $out/*.jsonl | tee $out/summary.txt
