#!/usr/bin/env bash
# The ConvNet wall-clock comparison (docs/BENCHMARKS.md): KFC against Adam and momentum SGD, every option at the
# example's default (KFC: batch 256, statistics and quadratic model on 64 rows, lambda >= 0.01; Adam: lr 1e-3, batch
# 128; momentum 0.9: lr 0.03, batch 128 -- the settings measured best), seeds 0-2, one run at a time, optimizers
# alternating within a seed (wall-clock matters; evaluation time is excluded from `seconds`). Then: time to 91% (first
# crossing and the mean of three consecutive evaluations) and to 92%.
# usage: bench/convnet_seeds.sh [outdir] [seconds]
#   OPTIMIZERS="kfac adam"  which optimizers to run (default: kfac adam momentum)
#   NICE=-19                run the training processes at this nice level (a shared machine: as root, a negative
#                           value gives the measured run the cores; say so next to the figures)
set -euo pipefail
out=${1:-runs/conv_seeds}
seconds=${2:-300}
optimizers=${OPTIMIZERS:-kfac adam momentum}
mkdir -p "$out"
dotnet build examples/ConvNet -c Release >/dev/null
run() { nice -n "${NICE:-0}" dotnet examples/ConvNet/bin/Release/net10.0/ConvNet.dll --data fashion-mnist --seconds "$seconds" --log-every 15 "$@"; }
for s in 0 1 2; do
  for o in $optimizers; do
    run --optimizer "$o" --seed "$s" --log "$out/${o}_seed$s.jsonl" > "$out/${o}_seed$s.txt"
  done
done
for s in 0 1 2; do
  for baseline in $optimizers; do
    [ "$baseline" = kfac ] && continue
    python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --baseline "$out/${baseline}_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
    python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --sustained 3 --baseline "$out/${baseline}_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
    python3 bench/time_to_target.py --metric test_accuracy --target 0.92 --baseline "$out/${baseline}_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
  done
done
