#!/usr/bin/env bash
# Stop 46, Zen 3 (AVX2, 2 cores): the autoencoder's momentum-SGD step at batch 1000 before this stop's changes (a build
# of commit 6b106f9 in OLD, e.g. `git worktree add /tmp/oldtree 6b106f9 && dotnet build /tmp/oldtree/Kfac.Bench -c Release`),
# after them (this checkout's build) and PyTorch 1.13 (bench/pytorch_autoencoder_step.py, OpenBLAS 0.3.21 OpenMP,
# OMP_WAIT_POLICY=PASSIVE), the three alternating in every round, ROUNDS rounds (default 5); one JSON line each,
# tagged side and round. Summarise with summarise_before_after.py LOG.
# usage: OLD=/tmp/oldtree docs/results/zen3_stop46/sgd_step_before_after_pytorch.sh [ROUNDS] > LOG.jsonl
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
rounds=${1:-5}
NEW=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
OLDB=${OLD:?set OLD to a checkout of 6b106f9 with Kfac.Bench built}/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
export OMP_WAIT_POLICY=PASSIVE
tag() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); d['side']='$1'; d['round']=$2; d['load']='$(cut -d' ' -f1 /proc/loadavg)'; print(json.dumps(d))"; }
for r in $(seq 1 "$rounds"); do
  dotnet "$OLDB" step --model autoencoder --optimizer momentum --batch 1000 --steps 30 --json | tag before "$r"
  dotnet "$NEW" step --model autoencoder --optimizer momentum --batch 1000 --steps 30 --json | tag after "$r"
  /usr/bin/python3 bench/pytorch_autoencoder_step.py --batch 1000 --threads 2 --steps 30 | tag pytorch "$r"
done
