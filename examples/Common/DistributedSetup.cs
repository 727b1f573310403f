using Kfac.Distributed;
using Kfac.Training.Distributed;

namespace Kfac.Examples;

/// <summary>
/// --distributed: "none" (one process, the default) or "mpi" (data-parallel over the ranks of
/// <c>mpirun -np N dotnet run -c Release --project examples/X -- --distributed mpi ...</c>). Every rank builds the
/// same model and loader (same seed), trains on its shard of each batch (<see cref="DataParallelStep"/>, <see cref="DistributedKfacStep"/>), and
/// rank 0 alone prints, logs and writes checkpoints; the other ranks' standard output is discarded.
/// </summary>
public static class DistributedSetup
{
    private static ICommunicator? s_communicator;

    /// <summary>The process's communicator for <paramref name="s"/> (created once; MPI is initialized here).</summary>
    public static ICommunicator Communicator(RunSettings s)
    {
        if (s_communicator is not null) return s_communicator;
        s_communicator = s.Distributed switch
        {
            "none" => SingleProcessCommunicator.Instance,
            "mpi" => NewMpi(),
            _ => throw new UsageException($"--distributed must be none or mpi; got '{s.Distributed}'"),
        };
        if (s_communicator.Rank != 0) Console.SetOut(TextWriter.Null);
        if (s_communicator.Size > 1) Console.WriteLine($"distributed: {s_communicator.Size} ranks, {s_communicator.Description}");
        return s_communicator;
    }

    /// <summary>MPI's library missing (no Open MPI/MPICH installed) is a user error, not a bug.</summary>
    private static MpiCommunicator NewMpi()
    {
        try
        {
            return new MpiCommunicator();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new UsageException($"--distributed mpi: the MPI library could not be loaded ({e.Message.ReplaceLineEndings(" ")}); install Open MPI or MPICH and start the example with mpirun -np N", e);
        }
    }
}
