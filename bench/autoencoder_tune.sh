#!/usr/bin/env bash
# Learning-rate sweeps for the first-order baselines on the deep autoencoder (full Fashion-MNIST, batch 1000):
# each configuration trains for a fixed number of steps; the final train_error picks the setting.
# usage: bench/autoencoder_tune.sh [steps] [outdir]
set -euo pipefail
steps=${1:-600}
out=${2:-runs/tune}
mkdir -p "$out"
dotnet build examples/Autoencoder -c Release >/dev/null
run() { dotnet run -c Release --no-build --project examples/Autoencoder -- --data fashion-mnist --batch-size 1000 --steps "$steps" --log-every 30 "$@" >/dev/null; }
for lr in 0.003 0.01 0.03 0.1; do run --optimizer momentum --momentum 0.9 --lr $lr --log "$out/momentum_0.9_$lr.jsonl"; done
for lr in 0.001 0.003 0.01; do run --optimizer momentum --momentum 0.99 --lr $lr --log "$out/momentum_0.99_$lr.jsonl"; done
for lr in 0.0001 0.0003 0.001 0.003; do run --optimizer adam --lr $lr --log "$out/adam_$lr.jsonl"; done
for f in "$out"/*.jsonl; do
  python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][-1]; print(f\"{sys.argv[1]}: train_error {r['train_error']:.3f} after {r['step']} steps, {r['seconds']:.0f} s\")" "$f"
done
