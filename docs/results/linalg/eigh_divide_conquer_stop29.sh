#!/usr/bin/env bash
# Stop 29: the symmetric eigendecomposition with divide and conquer (this build) against implicit QL (the build before,
# commit bcafdab, in a worktree), rounds alternating in one run: eigh at n = 1025 (ACKTR's MinAtar Dense input factor)
# and 2048, one thread; the phases of this build (D&C and QL side by side on the same tridiagonal); and ACKTR's time
# per update on MinAtar Breakout (16 envs x 20 steps, eigenbasis damping, inverses every 10 updates in the background).
# usage: OLD=/tmp/wt_before/Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll docs/results/linalg/eigh_divide_conquer_stop29.sh > LOG
#   (git worktree add /tmp/wt_before bcafdab && dotnet build /tmp/wt_before/Kfac.Bench -c Release; dotnet build Kfac.Bench -c Release)
set -euo pipefail
cd "$(dirname "$0")/../../.."
NEW=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
OLD=${OLD:?set OLD to the Kfac.Bench.dll built at bcafdab}
lscpu | grep -E "Model name|^CPU\(s\)"; uptime
for round in 1 2 3; do
  for build in old new; do
    dll=$([ $build = old ] && echo $OLD || echo $NEW)
    echo "round=$round build=$build $(dotnet $dll eigh --sizes 1025,2048 --threads 1 --json | tr '\n' ' ')"
  done
done
dotnet $NEW eigh-phases --sizes 1025 --threads 1 --json
dotnet $NEW eigh-phases --sizes 1025 --threads 1 --psd --json
for round in 1 2; do
  for build in old new; do
    dll=$([ $build = old ] && echo $OLD || echo $NEW)
    echo "round=$round build=$build $(dotnet $dll acktr-update --env MinAtar/Breakout-v1 --envs 16 --n-steps 20 --rounds 10 | tail -1)"
  done
done
uptime
