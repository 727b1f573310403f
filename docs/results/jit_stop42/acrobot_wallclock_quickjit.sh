#!/usr/bin/env bash
# Stop 42: wall clock of the no-flag ACKTR and A2C runs to -100 on Acrobot-v1, seeds 1-3, one run at a time, with loops
# compiled optimised at first call (the build's setting, TieredCompilationQuickJitForLoops=false) and with the runtime's
# default (tier 0 first, forced by DOTNET_TC_QuickJitForLoops=1), alternating. Prints the "steps ... Ns" line of each.
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
DLL=examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll
for seed in 1 2 3; do for algo in acktr a2c; do for quick in 0 1; do
  line=$(DOTNET_TC_QuickJitForLoops=$quick dotnet $DLL --env Acrobot-v1 --algo $algo --seed $seed --timesteps 500000 --stop-at-return -100 --log-every 100000000 2>&1 | grep -E "^steps" | tail -1)
  echo "seed $seed $algo quick_jit_for_loops=$quick: $line"
done; done; done
