#!/bin/sh
# The seed's UCI table is on ONE split: the authors' loader (pomonam/NoisyNaturalGradient,
# regression/misc/data_loader.py) draws it from NumPy's RandomState(0); their runs differ only in training seeds.
# 10 training runs per method on that split, every other setting the example's default (the authors' protocol).
# Run from the repository root after `dotnet build examples/BayesianRegression -c Release`.
set -e
D=docs/results/bayes/authors_split_stop36
B=examples/BayesianRegression/bin/Release/net10.0/BayesianRegression.dll
for ds in boston concrete; do
  dotnet $B --dataset $ds --method noisy-kfac,bbb,noisy-adam,adam --split-protocol authors --splits 10 --json $D/$ds.json > $D/$ds.log 2>&1
done
python3 bench/bayes_table.py $D/boston.json $D/concrete.json > $D/table.md
# The test learning curve of noisy K-FAC and the Adam point estimate, 4 runs each (test RMSE / LL every 10 epochs):
dotnet $B --dataset boston --method noisy-kfac,adam --split-protocol authors --splits 4 --test-log $D/boston-test-curve.jsonl --test-every 10 --json $D/boston-curve-runs.json > $D/boston-curve-runs.log 2>&1
# ZhuSuan's UCI examples (whose loader the authors' copies) seed NumPy with 1234 before drawing the split:
dotnet $B --dataset boston --method noisy-kfac,bbb,noisy-adam,adam --split-protocol authors --split-seed 1234 --splits 10 --json $D/boston-seed1234.json > $D/boston-seed1234.log 2>&1
# Noisy K-FAC on the authors' split without the KL clip, and with the authors' optimizer settings:
dotnet $B --dataset boston --method noisy-kfac --split-protocol authors --splits 10 --kl-clip Infinity --json $D/boston-noclip.json > $D/boston-noclip.log 2>&1
dotnet $B --dataset boston --method noisy-kfac --split-protocol authors --splits 10 --identity-factors --decay-beta --noise-lr 0.001 --json $D/boston-authors-optimizer-settings.json > $D/boston-authors-optimizer-settings.log 2>&1
# The posterior mean network's prediction next to the predictive one (4 runs each):
dotnet $B --dataset boston --method noisy-kfac,bbb,noisy-adam --split-protocol authors --splits 4 --json $D/boston-at-mean.json > $D/boston-at-mean.log 2>&1
