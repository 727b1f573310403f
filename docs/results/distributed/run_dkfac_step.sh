#!/bin/sh
# Distributed K-FAC step time, autoencoder, batch 4000 (Kfac.Bench dkfac-step). Shared 2-core machine: see uptime lines.
set -e
cd "$(dirname "$0")/../../../Kfac.Bench/bin/Release/net10.0"
MPI="mpirun.openmpi --allow-run-as-root --oversubscribe -np 2"
uptime
nice dotnet Kfac.Bench.dll dkfac-step --batch 4000 --threads 2 --steps 10
for s in eager lazy; do
  for i in inverses directions; do
    uptime
    nice $MPI dotnet Kfac.Bench.dll dkfac-step --distributed mpi --batch 4000 --threads 1 --steps 10 --statistics $s --inverses $i
  done
done
uptime
nice $MPI dotnet Kfac.Bench.dll dkfac-step --distributed mpi --batch 4000 --threads 1 --steps 10 --statistics eager --inverses replicated
uptime
