#!/usr/bin/env bash
# Stop 44: ACKTR's time per update against A2C's on this build (no ACKTR change since stop 42), quiet machine, one run
# at a time: CartPole-v1's network twice (10 warm-up rounds, the bench's default) and MinAtar Breakout once (stop 40's
# command). The load average is printed before each run.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
B=Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll
for i in 1 2; do echo "# $(uptime)"; dotnet $B acktr-update | tail -1; done
echo "# $(uptime)"
dotnet $B acktr-update --env MinAtar/Breakout-v1 --envs 16 --n-steps 20 --rounds 4 --warmup-rounds 3 | tail -1
