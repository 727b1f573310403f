#!/usr/bin/env bash
# Stop 30: the UCI regression protocol of shared/MATH.md with the example's defaults (1000 epochs, rates / 10 after 500,
# 10 particles, beta 1e-3, no extrinsic damping, batch 10), 20 splits, every method; plus noisy K-FAC with the
# eigenbasis posterior (--posterior-damping eigenbasis). Run here as three streams on 2 cores (so the seconds in the
# tables are under contention; the splits ran one after another, before --parallel-splits existed).
# The eigenbasis files were written by a build that still labelled them "noisy-kfac"; they were relabelled
# "noisy-kfac-eigenbasis" with sed when copied here (the current build writes that label itself).
# Usage: run.sh [OUT_DIR]    (dotnet build examples/BayesianRegression -c Release first)
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
out=${1:-docs/results/bayes/e1000_stop30}
B=examples/BayesianRegression/bin/Release/net10.0/BayesianRegression.dll
P="--parallel-splits 1"
( dotnet $B --dataset boston --method noisy-kfac $P --json $out/boston-kfac.json --elbo-log $out/boston-kfac-elbo.jsonl > $out/boston-kfac.txt
  dotnet $B --dataset concrete --method noisy-kfac $P --json $out/concrete-kfac.json --elbo-log $out/concrete-kfac-elbo.jsonl > $out/concrete-kfac.txt
  dotnet $B --dataset concrete --method noisy-adam $P --json $out/concrete-nadam.json --elbo-log $out/concrete-nadam-elbo.jsonl > $out/concrete-nadam.txt ) &
( dotnet $B --dataset boston --method bbb,noisy-adam,adam $P --json $out/boston-others.json --elbo-log $out/boston-others-elbo.jsonl > $out/boston-others.txt
  dotnet $B --dataset concrete --method bbb,adam $P --json $out/concrete-bbb.json --elbo-log $out/concrete-bbb-elbo.jsonl > $out/concrete-bbb.txt ) &
( dotnet $B --dataset boston --method noisy-kfac --posterior-damping eigenbasis $P --json $out/boston-kfac-eig.json --elbo-log $out/boston-kfac-eig-elbo.jsonl > $out/boston-kfac-eig.txt
  dotnet $B --dataset concrete --method noisy-kfac --posterior-damping eigenbasis $P --json $out/concrete-kfac-eig.json --elbo-log $out/concrete-kfac-eig-elbo.jsonl > $out/concrete-kfac-eig.txt ) &
wait
python3 bench/bayes_table.py $out/boston-kfac.json $out/boston-others.json $out/boston-kfac-eig.json \
  $out/concrete-kfac.json $out/concrete-bbb.json $out/concrete-nadam.json $out/concrete-kfac-eig.json | tee $out/table.md
dotnet $B --plot docs/figures/bayes-elbo-boston-concrete-e1000-eigenbasis.png --plot-from $out/boston-kfac-elbo.jsonl \
  $out/boston-others-elbo.jsonl $out/boston-kfac-eig-elbo.jsonl $out/concrete-kfac-elbo.jsonl $out/concrete-bbb-elbo.jsonl \
  $out/concrete-nadam-elbo.jsonl $out/concrete-kfac-eig-elbo.jsonl
