#!/usr/bin/env bash
# The K-FAC vs first-order comparison on the deep autoencoder (full Fashion-MNIST, batch 1000), one run each,
# one after the other on an otherwise idle machine (wall-clock matters). Settings come from bench/autoencoder_tune.sh.
# (History: the stop-8 comparison. The current one, every default and three seeds, is bench/autoencoder_seeds.sh.)
# usage: bench/autoencoder_compare.sh [outdir]
set -euo pipefail
out=${1:-runs/compare}
mkdir -p "$out"
dotnet build examples/Autoencoder -c Release >/dev/null
run() { dotnet run -c Release --no-build --project examples/Autoencoder -- --data fashion-mnist --batch-size 1000 "$@"; }
run --optimizer momentum --momentum 0.9 --lr 0.003 --steps 4000 --log-every 10 --log "$out/momentum.jsonl" > "$out/momentum.txt"
run --optimizer adam --lr 0.001 --steps 4000 --log-every 10 --log "$out/adam.jsonl" > "$out/adam.txt"
run --optimizer kfac --stats-fraction 0.25 --quad-fraction 0.25 --steps 600 --log-every 3 --log "$out/kfac.jsonl" > "$out/kfac.txt"
python3 bench/time_to_target.py --metric train_error --baseline "$out/momentum.jsonl" "$out/kfac.jsonl" "$out/adam.jsonl"
python3 bench/time_to_target.py --metric train_error --baseline "$out/adam.jsonl" "$out/kfac.jsonl"
