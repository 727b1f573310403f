#!/usr/bin/env bash
# Stop 33: distributed K-FAC's statistics all-reduce as whole factors (A = stop 33's first build) against their lower
# triangles (B), autoencoder batch 4000, 2 ranks x 1 thread, eager statistics, broadcast directions; MPICH and
# Open MPI, builds alternating, PASSES passes. Each line is Kfac.Bench dkfac-step's JSON with build, mpi and pass added.
# usage: dkfac_lower_triangle_ab.sh DIR_A DIR_B [PASSES]
set -euo pipefail
passes=${3:-3}
for pass in $(seq 1 "$passes"); do
  for mpi in mpich openmpi; do
    for build in A B; do
      dir=$1; [ $build = B ] && dir=$2
      launch=(mpirun.mpich -np 2)
      [ $mpi = openmpi ] && launch=(mpirun.openmpi --allow-run-as-root --oversubscribe -np 2)
      (cd "$dir" && timeout 300 "${launch[@]}" dotnet Kfac.Bench.dll dkfac-step --batch 4000 --steps 10 --distributed mpi \
        --threads 1 --statistics eager --inverses directions 2>&1 | grep -o '{"bench".*' | tail -1 \
        | sed "s/^{/{\"build\":\"$build\",\"mpi\":\"$mpi\",\"pass\":$pass,/")
    done
  done
done
