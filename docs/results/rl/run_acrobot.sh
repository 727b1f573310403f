#!/usr/bin/env bash
# Acrobot-v1, 5 seeds each, stopping when the mean return of the last 100 episodes reaches -100:
# A2C (baselines defaults, 16 envs, rl-baselines3-zoo's budget 5e5) and PPO (rl-baselines3-zoo Acrobot-v1:
# 16 envs, n_steps 256, gae_lambda 0.94, n_epochs 4, ent_coef 0, budget 1e6, but WITHOUT its VecNormalize
# observation normalisation, which Kfac.Rl does not have).
set -euo pipefail
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
out=docs/results/rl
for seed in 1 2 3 4 5; do
  dotnet $bin --env Acrobot-v1 --algo a2c --envs 16 --timesteps 500000 --seed $seed --stop-at-return -100 \
    --log-every 10000 --log $out/acrobot_a2c_seed$seed.jsonl > $out/acrobot_a2c_seed$seed.txt
  dotnet $bin --env Acrobot-v1 --algo ppo --envs 16 --n-steps 256 --gae-lambda 0.94 --epochs 4 --timesteps 1000000 \
    --seed $seed --stop-at-return -100 --log-every 8192 --log $out/acrobot_ppo_seed$seed.jsonl > $out/acrobot_ppo_seed$seed.txt
done
