#!/usr/bin/env bash
# Final CartPole timing: 3 rounds of the binaries before (/tmp/h26_orig_bin = main at b44f67f) and after
# (/tmp/h26_bin = this branch), each run interleaving A2C and ACKTR in chunks of 10 updates (the "before"
# binary runs them back to back: 200 A2C then 200 ACKTR updates).
old=/tmp/h26_orig_bin/ReinforcementLearning.dll; new=/tmp/h26_bin/ReinforcementLearning.dll
base="--env CartPole-v1 --envs 16 --update-timing 200"
for round in 1 2 3; do
  for run in "before|$old|--inverse-interval 1" "before|$old|--inverse-interval 10" \
             "after|$new|--inverse-interval 1 --inverse-staleness 0" "after|$new|" "after|$new|--inverse-interval 5"; do
    IFS='|' read -r label bin extra <<< "$run"
    echo "\$ uptime: $(uptime)"
    echo "\$ [$label] dotnet ReinforcementLearning.dll $base $extra"
    nice dotnet $bin $base $extra 2>&1
  done
done
