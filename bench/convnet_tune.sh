#!/usr/bin/env bash
# Learning-rate sweeps for the first-order baselines on the ConvNet (full Fashion-MNIST, batch 128): each
# configuration trains for a fixed number of steps; the final test accuracy picks the setting.
# usage: bench/convnet_tune.sh [steps] [outdir]
set -euo pipefail
steps=${1:-400}
out=${2:-runs/conv_tune}
mkdir -p "$out"
dotnet build examples/ConvNet -c Release >/dev/null
run() { dotnet run -c Release --no-build --project examples/ConvNet -- --data fashion-mnist --batch-size 128 --steps "$steps" --log-every 20 "$@" >/dev/null; }
for lr in 0.0003 0.001 0.003; do run --optimizer adam --lr $lr --log "$out/adam_$lr.jsonl"; done
for lr in 0.01 0.03 0.1; do run --optimizer momentum --momentum 0.9 --lr $lr --log "$out/momentum_0.9_$lr.jsonl"; done
for f in "$out"/*.jsonl; do
  python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][-1]; print(f\"{sys.argv[1]}: test_accuracy {r['test_accuracy']:.4f} after {r['step']} steps, {r['seconds']:.0f} s\")" "$f"
done
