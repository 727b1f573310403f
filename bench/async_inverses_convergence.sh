#!/usr/bin/env bash
# Issue 18's convergence check of asynchronous inverses: the autoencoder with every default (K-FAC, batch 1000), the
# inverses synchronous (--inverse-staleness 0) or installed S steps after their scheduled refresh (computed on a
# background thread meanwhile), seeds 0-2, 200 steps, train_error every 2 steps. Compare the first step at or below
# momentum SGD's final train_error of the same seed (docs/BENCHMARKS.md, stop 15: 10.78 / 10.55 / 10.69).
# usage: bench/async_inverses_convergence.sh [outdir] [staleness values...]   (build first: dotnet build examples/Autoencoder -c Release)
set -euo pipefail
out=${1:-runs/async_inverses}; shift || true
values=${*:-0 1 5}
mkdir -p "$out"
jobs=()
for s in $values; do for seed in 0 1 2; do jobs+=("$s $seed"); done; done
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 bash -c 'dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll \
  --data fashion-mnist --optimizer kfac --inverse-staleness $0 --seed $1 --threads 1 --steps 200 --eval-every-steps 2 \
  --log-every 1e9 --log '"$out"'/kfac_staleness$0_seed$1.jsonl > '"$out"'/kfac_staleness$0_seed$1.txt 2>&1'
python3 - "$out" $values <<'PY'
import json, sys
out, values = sys.argv[1], sys.argv[2:]
targets = {0: 10.78, 1: 10.55, 2: 10.69}
print("staleness  seed  target  first step at or below  train_error at 200")
for s in values:
    for seed, t in targets.items():
        r = [json.loads(l) for l in open(f"{out}/kfac_staleness{s}_seed{seed}.jsonl")]
        r = [x for x in r if x.get("train_error") is not None]
        hit = next((x["step"] for x in r if x["train_error"] <= t), None)
        print(f"{s:>9}  {seed:>4}  {t:6.2f}  {hit if hit is not None else '>' + str(r[-1]['step']):>22}  {r[-1]['train_error']:.3f}")
PY
