#!/bin/sh
# Issue 16's step-time must-show on a quiet machine (load ~0 before the first run): batch 4000 autoencoder,
# 1 process x 2 threads against 2 processes x 1 thread (MPICH and Open MPI), K-FAC (dkfac-step: every
# statistics/inverse option) and SGD (dp-step), three rounds, configurations interleaved within each round.
cd "$(dirname "$0")/../../../Kfac.Bench/bin/Release/net10.0"
OMPI="mpirun.openmpi --allow-run-as-root --oversubscribe -np 2"
MPICH="mpirun.mpich -np 2"
K="dotnet Kfac.Bench.dll dkfac-step --batch 4000 --steps 10"
S="dotnet Kfac.Bench.dll dp-step --batch 4000 --steps 10"
lscpu | grep -E "Model name|^CPU\(s\)"
for round in 1 2 3; do
  echo "== round $round"; uptime
  echo "-- kfac 1x2";  $K --threads 2
  echo "-- kfac mpich eager inverses";   $MPICH $K --distributed mpi --threads 1 --statistics eager --inverses inverses
  echo "-- kfac mpich eager directions"; $MPICH $K --distributed mpi --threads 1 --statistics eager --inverses directions
  echo "-- kfac mpich lazy inverses";    $MPICH $K --distributed mpi --threads 1 --statistics lazy --inverses inverses
  echo "-- kfac mpich lazy directions";  $MPICH $K --distributed mpi --threads 1 --statistics lazy --inverses directions
  echo "-- kfac openmpi lazy directions"; $OMPI $K --distributed mpi --threads 1 --statistics lazy --inverses directions
  echo "-- kfac openmpi eager inverses"; $OMPI $K --distributed mpi --threads 1 --statistics eager --inverses inverses
  echo "-- kfac 1x1";  $K --threads 1
  echo "-- sgd 1x2";   $S --threads 2
  echo "-- sgd mpich";  $MPICH $S --distributed mpi --threads 1
  echo "-- sgd openmpi"; $OMPI $S --distributed mpi --threads 1
  echo "-- sgd 1x1";   $S --threads 1
done
uptime
