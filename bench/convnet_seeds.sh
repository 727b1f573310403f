#!/usr/bin/env bash
# The ConvNet wall-clock comparison behind issue 5's figures (docs/BENCHMARKS.md): KFC in its best setting against
# tuned Adam and momentum SGD, seeds 0-2, 300 s of training each, one run at a time on an otherwise idle machine
# (wall-clock matters; evaluation time is excluded from `seconds`). Then: time to 91% (first crossing and the mean of
# three consecutive evaluations) and to 92%.
# usage: bench/convnet_seeds.sh [outdir] [seconds]
set -euo pipefail
out=${1:-runs/conv_seeds}
seconds=${2:-300}
mkdir -p "$out"
dotnet build examples/ConvNet -c Release >/dev/null
run() { dotnet run -c Release --no-build --project examples/ConvNet -- --data fashion-mnist --seconds "$seconds" --log-every 15 "$@"; }
for s in 0 1 2; do
  run --optimizer kfac --batch-size 256 --stats-fraction 0.25 --quad-fraction 0.25 --min-lambda 0.01 --seed "$s" --log "$out/kfac_seed$s.jsonl" > "$out/kfac_seed$s.txt"
  run --optimizer adam --lr 0.001 --batch-size 128 --seed "$s" --log "$out/adam_seed$s.jsonl" > "$out/adam_seed$s.txt"
  run --optimizer momentum --momentum 0.9 --lr 0.03 --batch-size 128 --seed "$s" --log "$out/momentum_seed$s.jsonl" > "$out/momentum_seed$s.txt"
done
for s in 0 1 2; do
  for baseline in adam momentum; do
    python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --baseline "$out/${baseline}_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
    python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --sustained 3 --baseline "$out/${baseline}_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
  done
  python3 bench/time_to_target.py --metric test_accuracy --target 0.92 --baseline "$out/adam_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
done
