#!/usr/bin/env python3
"""Stop 47: does a served baseline (Kfac.Bench/BaselineProcess.cs protocol) run slower when it sits idle between its
rounds, as it does when it alternates with another program? Drives one served process alone: 15 rounds of 5 steps,
with GAP seconds of sleep between rounds (0: back to back), and prints the median step and the median first step of a
round. Run it for PyTorch's served step and for ours, GAP 0 and 0.5 alternating:

  for gap in 0 0.5 0 0.5; do python3 docs/results/zen3_stop47/serve_idle_gap_test.py $gap \
      /usr/bin/python3 bench/pytorch_convnet_step.py --serve --batch 128 --threads 2; done
  for gap in 0 0.5 0 0.5; do python3 docs/results/zen3_stop47/serve_idle_gap_test.py $gap \
      dotnet Kfac.Bench/bin/Release/net10.0/Kfac.Bench.dll step --model convnet --optimizer sgd --batch 128 --threads 2 --warmup 3 --serve-baseline; done
"""
import os, statistics, subprocess, sys, time

gap = float(sys.argv[1])
cmd = sys.argv[2:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                     env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE", ONEDNN_MAX_CPU_ISA="AVX2"))
assert p.stdout.readline().strip() == "ready"
ms = []
for r in range(15):
    p.stdin.write("run 5\n"); p.stdin.flush()
    ms += [float(v) for v in p.stdout.readline().split()]
    time.sleep(gap)
p.stdin.write("quit\n"); p.stdin.flush(); p.wait()
print(f"{os.path.basename(cmd[1]) if len(cmd) > 1 else cmd[0]} gap {gap}: median {statistics.median(ms):.1f} ms, "
      f"first step of a round {statistics.median(ms[::5]):.1f} ms")
