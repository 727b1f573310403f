#!/usr/bin/env bash
# CartPole-v1 ACKTR learning check for the inverse schedules (baselines defaults otherwise), seeds 1 and 2.
# Usage: run.sh BIN_DIR OUT_DIR "INTERVAL STALENESS" ...
set -euo pipefail
bin=$1/ReinforcementLearning.dll; out=$2; shift 2
for cfg in "$@"; do
  set -- $cfg
  for seed in 1 2; do
    name=cartpole_acktr_i$1_s$2_seed$seed
    nice dotnet $bin --hyper default --env CartPole-v1 --algo acktr --envs 16 --timesteps 500000 --seed $seed --stop-at-return 475 \
      --log-every 10000 --inverse-interval $1 --inverse-staleness $2 --log $out/$name.jsonl > $out/$name.txt 2>&1
    echo "$name: $(tail -1 $out/$name.txt)"
  done
done
