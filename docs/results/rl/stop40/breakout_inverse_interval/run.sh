#!/usr/bin/env bash
# Stop 40, Zen 3 (2 cores): ACKTR on MinAtar Breakout with the eigendecompositions refreshed every 20 updates
# (installed 19 updates later) against the no-flag setting's every 10 (installed 9 later), 5M steps, two runs at a
# time. The no-flag runs of seeds 1-2 are stop 39's (docs/results/rl/stop39/breakout_acktr_noflags_seed{1,2}.*),
# whose first records this build reproduces exactly (4.13 / 5.07 at 100 160 / 200 000 steps on seed 1).
# usage: docs/results/rl/stop40/breakout_inverse_interval/run.sh   (from anywhere; logs beside this script)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../../.."
R="dotnet examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll --env MinAtar/Breakout-v1 --algo acktr --timesteps 5000000 --log-every 100000"
run() { # name seed extra...
  local name=$1 seed=$2; shift 2
  $R --seed "$seed" --log "$here/$name.jsonl" "$@" > "$here/$name.txt" 2>&1
}
# two at a time, in this order
run interval20_seed1 1 --inverse-interval 20 & run interval20_seed2 2 --inverse-interval 20; wait
run interval20_seed3 3 --inverse-interval 20 & run noflags_seed3 3; wait
run interval20_seed4 4 --inverse-interval 20 & run noflags_seed4 4; wait
run interval20_seed5 5 --inverse-interval 20 & run noflags_seed5 5; wait
# added after the five seeds: a sixth seed pair
run interval20_seed6 6 --inverse-interval 20 & run noflags_seed6 6; wait
