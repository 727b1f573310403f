#!/bin/sh
# As run_dkfac_step.sh, plus the messages timed alone (ranks lined up by a barrier). Shared 2-core machine.
set -e
cd "$(dirname "$0")/../../../Kfac.Bench/bin/Release/net10.0"
MPI="mpirun.openmpi --allow-run-as-root --oversubscribe -np 2"
uptime
nice dotnet Kfac.Bench.dll dkfac-step --batch 4000 --threads 2 --steps 5
uptime
nice $MPI dotnet Kfac.Bench.dll dkfac-step --distributed mpi --batch 4000 --threads 1 --steps 5 --statistics eager --inverses inverses
uptime
nice $MPI dotnet Kfac.Bench.dll dkfac-step --distributed mpi --batch 4000 --threads 1 --steps 5 --statistics lazy --inverses inverses
uptime
