using System.Globalization;
using Kfac.Distributed;
using Kfac.Tests.Mpi;

// The distributed tests' worker: one process per rank under mpirun, or alone with --communicator single.
//   contract                      the communicator contract (CommunicatorContract)
//   train --optimizer sgd|adam    data-parallel steps compared with one process on the whole batch
//   kfac --statistics eager|lazy --inverses replicated|inverses|directions
//                                 distributed K-FAC steps compared with one process on the whole batch
//   die --rank R --at-step K      rank R kills itself at step K of data-parallel training
//   hang --rank R --at-step K     rank R stops responding at step K (the others' watchdog must end the job)
//   checkpoint --path P           rank 0 writes a checkpoint; every rank reloads and compares it
//   batchnorm --optimizer kfac|momentum
//                                 batch norm's running statistics averaged over the ranks, replicas identical
// Results are printed as "RESULT key=value ..." lines that the NUnit tests parse. Exit code 0 = passed.
var options = WorkerOptions.Parse(args);
ICommunicator communicator = options.Communicator == "single"
    ? SingleProcessCommunicator.Instance
    : new MpiCommunicator(options.Timeout is { } t ? TimeSpan.FromSeconds(t) : null);
try
{
    int code = options.Command switch
    {
        "contract" => Contract(communicator),
        "train" => DataParallelCheck.Train(communicator, options),
        "kfac" => DistributedKfacCheck.Train(communicator, options),
        "die" or "hang" => DataParallelCheck.Fault(communicator, options),
        "checkpoint" => DataParallelCheck.CheckpointRoundTrip(communicator, options),
        "batchnorm" => BatchNormCheck.Train(communicator, options),
        _ => throw new ArgumentException($"unknown command '{options.Command}'; expected contract, train, kfac, die, hang, checkpoint or batchnorm"),
    };
    communicator.Dispose();
    return code;
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {communicator.Rank} of {communicator.Size}: {e}");
    Console.Error.Flush();
    // Exit without MPI_Finalize: mpirun sees the failure and ends the other ranks.
    Environment.Exit(1);
    return 1;
}

static int Contract(ICommunicator c)
{
    int passed = CommunicatorContract.RunAll(c);
    if (c.Rank == 0)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT contract_passed={passed} size={c.Size} description=\"{c.Description}\""));
    return 0;
}
