#!/usr/bin/env bash
# Pendulum-v1, 1M environment steps, one seed each (time-boxed on the shared machine): PPO with SB3 defaults
# (16 envs x 2048 steps, no gSDE / VecNormalize as the zoo uses) and ACKTR with baselines defaults (16 envs).
set -euo pipefail
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
out=docs/results/rl
dotnet $bin --hyper default --env Pendulum-v1 --algo acktr --envs 16 --timesteps 1000000 --seed 1 --log-every 20000 \
  --log $out/pendulum_acktr_seed1.jsonl > $out/pendulum_acktr_seed1.txt
dotnet $bin --hyper default --env Pendulum-v1 --algo ppo --envs 16 --timesteps 1000000 --seed 1 --log-every 32768 \
  --log $out/pendulum_ppo_seed1.jsonl > $out/pendulum_ppo_seed1.txt
