#!/bin/bash
# N runs (two at a time) of no-flag ACKTR on MinAtar Breakout seed 1, each cut at 120 s; prints the mean returns at
# 100 160 and 200 000 steps per run (one line per run, written at once so concurrent runs do not interleave).
N=${1:-8}
DLL=${DLL:-examples/ReinforcementLearning/bin/Release/net10.0/ReinforcementLearning.dll}
run() { out=$(timeout 120 dotnet $DLL --env MinAtar/Breakout-v1 --algo acktr --seed 1 --timesteps 5000000 --log-every 50000 2>&1 | grep -E "^steps +(100160|200000) " | awk '{printf "%s ", $NF}'); echo "$out"; }
for i in $(seq 1 $((N/2))); do run & run & wait; done
