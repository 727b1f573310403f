#!/usr/bin/env bash
# Stop 46, Zen 3: the autoencoder's momentum-SGD step at batch 1000 taken apart (`Kfac.Bench step --phases`), before this
# stop's changes (OLD: a build of 6b106f9 with this stop's Kfac.Bench/FirstOrderPhases.cs and StepBench.cs copied in, which
# add --phases and change nothing else) and after, alternating, ROUNDS rounds (default 5). One JSON line per run.
# usage: OLD=/tmp/oldtree docs/results/zen3_stop46/sgd_step_phases_before_after.sh [ROUNDS] > LOG.jsonl
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
rounds=${1:-5}
NEW=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
OLDB=${OLD:?set OLD}/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
tag() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); d['side']='$1'; d['round']=$2; print(json.dumps(d))"; }
for r in $(seq 1 "$rounds"); do
  dotnet "$OLDB" step --model autoencoder --optimizer momentum --batch 1000 --steps 30 --phases --json | tag before "$r"
  dotnet "$NEW" step --model autoencoder --optimizer momentum --batch 1000 --steps 30 --phases --json | tag after "$r"
done
