#!/usr/bin/env bash
# The autoencoder's headline comparison with every default (docs/BENCHMARKS.md): K-FAC (330 steps) against momentum
# SGD (0.9, its tuned lr, 4000 steps), batch 1000, seeds 0-2, one run at a time, both evaluated on the same interval
# of training seconds (--log-every; evaluation time is excluded from `seconds`). Then, per seed: steps and seconds
# to momentum's final train_error (first crossings and momentum's budget end).
# usage: bench/autoencoder_seeds.sh [outdir] [eval-interval-seconds]
#   EXTRA="--threads 1"  further options for every run
set -euo pipefail
out=${1:-runs/autoencoder_seeds}
every=${2:-3}
mkdir -p "$out"
dotnet build examples/Autoencoder -c Release >/dev/null
run() { dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --log-every "$every" ${EXTRA:-} "$@"; }
for s in 0 1 2; do
  [ -s "$out/kfac_seed$s.jsonl" ] || run --optimizer kfac --steps 330 --seed "$s" --log "$out/kfac_seed$s.jsonl" > "$out/kfac_seed$s.txt"
  [ -s "$out/momentum_seed$s.jsonl" ] || run --optimizer momentum --steps 4000 --seed "$s" --log "$out/momentum_seed$s.jsonl" > "$out/momentum_seed$s.txt"
done
for s in 0 1 2; do
  python3 bench/time_to_target.py --metric train_error --baseline "$out/momentum_seed$s.jsonl" "$out/kfac_seed$s.jsonl"
done
