#!/usr/bin/env bash
# Stop 47: ACKTR's and A2C's time per update on CartPole-v1's network (tanh MLP 64-64, batch 320; 60 rounds after 30 warm-up rounds of `Kfac.Bench
# acktr-update`) before and after the AVX2 path's float tanh (FloatTanh256), the two builds
# alternating, PASSES passes (default 4). OLD: the build before (a worktree of dfe255d with Kfac.Bench built).
# usage: OLD=/path/to/old/worktree docs/results/zen3_stop47/acktr_update_tanh_before_after.sh [PASSES] > LOG
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
NEW=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
OLDB=${OLD:?set OLD to a worktree of the build before}/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for pass in $(seq "${1:-4}"); do
  echo "# pass $pass, $(uptime)"
  echo "before $(dotnet "$OLDB" acktr-update --rounds 60 --warmup-rounds 30 | tail -1)"
  echo "after $(dotnet "$NEW" acktr-update --rounds 60 --warmup-rounds 30 | tail -1)"
done
