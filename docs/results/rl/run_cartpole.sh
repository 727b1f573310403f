#!/usr/bin/env bash
# CartPole-v1, 5 seeds each: A2C (baselines defaults, 16 envs) and PPO (rl-baselines3-zoo CartPole-v1, 8 envs, its budget of 1e5 steps over which lr and clip decay linearly),
# stopping when the mean return of the last 100 episodes reaches 475. Run from the repository root after
# `dotnet build examples/ReinforcementLearning -c Release`.
set -euo pipefail
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
out=docs/results/rl
for seed in 1 2 3 4 5; do
  dotnet $bin --env CartPole-v1 --algo a2c --envs 16 --timesteps 2000000 --seed $seed --stop-at-return 475 \
    --log-every 10000 --log $out/cartpole_a2c_seed$seed.jsonl > $out/cartpole_a2c_seed$seed.txt
  dotnet $bin --env CartPole-v1 --algo ppo --hyper zoo --envs 8 --timesteps 100000 --seed $seed --stop-at-return 475 \
    --log-every 4096 --log $out/cartpole_ppo_seed$seed.jsonl > $out/cartpole_ppo_seed$seed.txt
done
