#!/usr/bin/env bash
# MinAtar Breakout, 5M environment steps, seeds 1-5: ACKTR with factored damping (--damping-style factored) and baselines' Atari trust region delta = 0.001 (acktr.py's
# kfac_clip; our default 0.03 was chosen on CartPole/Acrobot and collapsed the policy on Breakout, see run.sh's logs);
# everything else the library's defaults. Two streams (2 cores). Each final policy evaluated greedily (100 episodes).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/rl/minatar_breakout_stop28}
bin=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
run() { # seed
  local name=breakout_acktr_kl0.001_factored_seed$1
  dotnet $bin --env MinAtar/Breakout-v1 --hyper default --algo acktr --kl-clip 0.001 --damping-style factored --seed $1 --timesteps 5000000 --log-every 50000 --log $out/$name.jsonl --checkpoint /tmp/minatar_$name.ckpt > $out/$name.txt
  dotnet $bin --env MinAtar/Breakout-v1 --evaluate --checkpoint /tmp/minatar_$name.ckpt --episodes 100 --seed 1000 >> $out/$name.txt
}
(for s in 1 3 5; do run $s; done) &
(for s in 2 4; do run $s; done) &
wait
python3 bench/rl_curves.py --final $out/*.jsonl | tee $out/summary_with_factored.txt
