#!/bin/bash
# N runs (two at a time) of the autoencoder with K-FAC's background inverses; prints the last log record's train error
N=${1:-8}; EXTRA="${@:2}"
run() { dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data embedded --optimizer kfac --steps 120 --eval-every-steps 60 --threads 1 --inverse-staleness 5 $EXTRA 2>&1 | grep "^done:" | sed "s/ [0-9]*s loss/ loss/; s/ [0-9]* ex\/s//"; }
for i in $(seq 1 $((N/2))); do run & run & wait; done
