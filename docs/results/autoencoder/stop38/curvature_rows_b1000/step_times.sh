#!/usr/bin/env bash
# Stop 38: K-FAC's amortised step at batch 1000 with the curvature on 1/8, 1/16 and 1/32 of the batch (everything else
# the autoencoder example's defaults: lambda0 0.15, inverses every 10), each against SGD's step in its own process,
# 3 rounds interleaved; the fractions in turn, PASSES times. Writes f<fraction>.json (the last pass) and appends every
# pass to step_times.jsonl.
# usage: step_times.sh [PASSES]   (dotnet build Kfac.Bench -c Release first)
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=docs/results/autoencoder/stop38/curvature_rows_b1000
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE
for pass in $(seq 1 "${1:-2}"); do
  for f in 0.125 0.0625 0.03125; do
    dotnet $B step --model autoencoder --optimizer kfac --batch 1000 --steps 60 --lambda 0.15 --stats-fraction $f --quad-fraction $f \
      --rho-fraction $f --inverse-interval 10 --baseline sgd --baseline-process --rounds 3 --json | tail -1 > $out/f$f.json
    python3 -c "import json,sys; d=json.load(open('$out/f$f.json')); d['fraction']=$f; d['pass']=$pass; print(json.dumps(d))" >> $out/step_times.jsonl
  done
done
