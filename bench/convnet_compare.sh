#!/usr/bin/env bash
# KFC vs tuned first-order baselines on the ConvNet (full Fashion-MNIST), one run each, one after the other on an
# otherwise idle machine (wall-clock matters). Settings come from bench/convnet_tune.sh and the KFC pilots in
# docs/BENCHMARKS.md. Then: when did each first reach 91% test accuracy?
# usage: bench/convnet_compare.sh [outdir] [seconds]
set -euo pipefail
out=${1:-runs/conv_compare}
seconds=${2:-480}
mkdir -p "$out"
dotnet build examples/ConvNet -c Release >/dev/null
run() { dotnet run -c Release --no-build --project examples/ConvNet -- --data fashion-mnist --seconds "$seconds" --log-every 15 "$@"; }
run --optimizer adam --lr 0.001 --batch-size 128 --log "$out/adam.jsonl" > "$out/adam.txt"
run --optimizer momentum --momentum 0.9 --lr 0.03 --batch-size 128 --log "$out/momentum.jsonl" > "$out/momentum.txt"
# KFC: statistics on 64 rows, the quadratic model on 256 (a classifier's quadratic model needs many rows: see
# docs/kfac.md, Robustness); batch 512, and batch 256 with the quadratic model on the whole batch.
run --optimizer kfac --batch-size 512 --stats-fraction 0.125 --quad-fraction 0.5 --log "$out/kfac_b512.jsonl" > "$out/kfac_b512.txt"
run --optimizer kfac --batch-size 256 --stats-fraction 0.25 --quad-fraction 1 --log "$out/kfac.jsonl" > "$out/kfac.txt"
run --optimizer kfac --batch-size 512 --stats-fraction 0.25 --quad-fraction 0.25 --log "$out/kfac_b512_q025.jsonl" > "$out/kfac_b512_q025.txt"
# With a floor on lambda the damping cannot collapse, and 64 rows suffice for statistics and the quadratic model.
run --optimizer kfac --batch-size 512 --stats-fraction 0.125 --quad-fraction 0.125 --min-lambda 0.01 --log "$out/kfac_b512_floor.jsonl" > "$out/kfac_b512_floor.txt"
# The best setting found (stop 10): batch 256, statistics and quadratic model on 64 rows, the same floor.
run --optimizer kfac --batch-size 256 --stats-fraction 0.25 --quad-fraction 0.25 --min-lambda 0.01 --log "$out/kfac_b256_floor.jsonl" > "$out/kfac_b256_floor.txt"
python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --baseline "$out/adam.jsonl" "$out/kfac_b256_floor.jsonl" "$out/kfac_b512_floor.jsonl" "$out/kfac_b512.jsonl" "$out/kfac_b512_q025.jsonl" "$out/kfac.jsonl" "$out/momentum.jsonl"
python3 bench/time_to_target.py --metric test_accuracy --target 0.91 --baseline "$out/momentum.jsonl" "$out/kfac_b256_floor.jsonl" "$out/kfac_b512_floor.jsonl" "$out/kfac_b512.jsonl" "$out/kfac.jsonl"
