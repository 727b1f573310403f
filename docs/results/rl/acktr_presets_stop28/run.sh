#!/usr/bin/env bash
# ACKTR's per-task settings (Kfac.Rl.Algorithms.TunedSettings, the example's --hyper tuned, its default since stop 28):
#  - Pendulum-v1, 1M steps, seeds 1-10: the library's defaults (--hyper default: 16 envs, gamma 0.99, ent_coef 0.01),
#    the same with reward scaling (--normalize-reward, SB3's VecNormalize reward part), and the tuned setting
#    (gamma 0.95); every final policy also evaluated greedily (200 episodes).
#  - CartPole-v1, seeds 1-5: the stop-27 tuned setting (8 envs, ent_coef 0; --n-steps 20 since 10 became the tuned one), steps to 475.
# Usage: run.sh [OUT_DIR]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/rl/acktr_presets_stop28}
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
dotnet build examples/ReinforcementLearning -c Release -v q -nologo > /dev/null
run() { # name, args...
  local name=$1; shift
  dotnet $bin --env Pendulum-v1 --algo acktr --timesteps 1000000 --log-every 20000 --log $out/$name.jsonl --checkpoint /tmp/presets_$name.ckpt "$@" > $out/$name.txt
  dotnet $bin --env Pendulum-v1 --evaluate --checkpoint /tmp/presets_$name.ckpt --episodes 200 --seed 1000 >> $out/$name.txt
}
for s in 1 2 3 4 5 6 7 8 9 10; do
  run pendulum_default_seed$s --hyper default --seed $s
  run pendulum_tuned_seed$s --seed $s
  [ $s -le 5 ] && run pendulum_default_normalize_reward_seed$s --hyper default --normalize-reward --seed $s
done
python3 bench/rl_curves.py --final $out/pendulum_*.jsonl | tee $out/summary.txt
python3 bench/rl_grid.py CartPole-v1 475 500000 1,2,3,4,5 "['--algo acktr --n-steps 20']" | tee -a $out/summary.txt
