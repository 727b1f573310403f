#!/bin/bash
N=${1:-16}; EXTRA="${@:2}"
DLL=${DLL:-examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll}
run() { out=$(dotnet $DLL --env Acrobot-v1 --algo acktr --seed 6 --timesteps 500000 --stop-at-return -100 --log-every 12000 $EXTRA 2>&1); echo "at12000 $(echo "$out" | grep -E "^steps +12000" | awk '{print $NF}') reached $(echo "$out" | grep -oE "after [0-9]+" | awk '{print $2}') stale=$(echo "$out" | grep -c STALE)"; echo "$out" | grep -A80 STALE | head -120 >> /tmp/stale.log; }
for i in $(seq 1 $((N/2))); do run & run & wait; done
