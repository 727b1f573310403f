#!/usr/bin/env bash
# ACKTR as first measured (baselines defaults, set explicitly since the library defaults changed at stop 14: 20 steps per env, lr 0.25 decaying linearly to 0 over the budget, KL clip 0.001,
# damping 0.01, stats decay 0.99, 10 cold updates), 16 envs, 5 seeds, stopping at the threshold:
# CartPole-v1 (475) and Acrobot-v1 (-100), budget 500 000 steps each (the lr schedule runs over it).
set -euo pipefail
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
out=docs/results/rl
for seed in 1 2 3 4 5; do
  dotnet $bin --hyper default --env CartPole-v1 --algo acktr --envs 16 --timesteps 500000 --seed $seed --stop-at-return 475 --kl-clip 0.001 --inverse-interval 1 \
    --log-every 10000 --log $out/cartpole_acktr_seed$seed.jsonl > $out/cartpole_acktr_seed$seed.txt
  dotnet $bin --hyper default --env Acrobot-v1 --algo acktr --envs 16 --timesteps 500000 --seed $seed --stop-at-return -100 --kl-clip 0.001 --inverse-interval 1 \
    --log-every 10000 --log $out/acrobot_acktr_seed$seed.jsonl > $out/acrobot_acktr_seed$seed.txt
done
