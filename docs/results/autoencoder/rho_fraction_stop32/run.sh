#!/usr/bin/env bash
# Stop 32: the autoencoder's K-FAC with the reduction ratio rho measured on the quadratic model's 1/8 of the batch
# (--rho-fraction 0.125) against the whole batch (the paper's, the default until now), every other option at the
# example's defaults, with stop 25's protocol and script (seeds 0-2, 330 steps, train_error every 2 steps, one thread per
# run, two runs at once); the table: python3 docs/results/autoencoder/kfac_fractions_stop25/summarise.py THIS_FOLDER
# usage: docs/results/autoencoder/rho_fraction_stop32/run.sh rho1 "--rho-fraction 1" rho0.125 "--rho-fraction 0.125"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OUT=docs/results/autoencoder/rho_fraction_stop32 exec "$here/../kfac_fractions_stop25/run.sh" "$@"
