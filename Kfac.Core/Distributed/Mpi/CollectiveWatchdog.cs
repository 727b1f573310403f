using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kfac.Distributed.Mpi;

/// <summary>
/// Turns a hang into a clear error. MPI collectives block until every rank joins; if a peer has hung (or died
/// in a way the launcher has not noticed), this rank would wait forever. The watchdog thread checks the
/// collective in progress every quarter second and, once it has waited longer than the timeout, prints which
/// operation on which rank stalled and ends the process with exit code <see cref="ExitCode"/>. mpirun (Open
/// MPI and MPICH's Hydra alike) then terminates the remaining ranks, so the job ends instead of hanging.
/// <para>It ends the process with _exit: MPI calls from a second thread are not allowed at the thread level
/// the communicator requests, and managed shutdown would run MPI_Finalize, which itself would block.</para>
/// </summary>
internal sealed partial class CollectiveWatchdog : IDisposable
{
    /// <summary>Exit status of a rank that the watchdog ended (EX_SOFTWARE).</summary>
    public const int ExitCode = 70;

    private readonly Thread _thread;
    private readonly long _timeoutTicks;
    private readonly string _who;
    private readonly object _gate = new();
    private long _startedAt;
    private string? _operation;
    private long _count;
    private string _unit = "";
    private volatile bool _stopped;

    public CollectiveWatchdog(TimeSpan timeout, string who)
    {
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        Timeout = timeout;
        _who = who;
        _thread = new Thread(Watch) { IsBackground = true, Name = "kfac-mpi-watchdog" };
        _thread.Start();
    }

    public TimeSpan Timeout { get; }

    /// <summary>Marks the start of a blocking collective: <paramref name="operation"/> of
    /// <paramref name="count"/> <paramref name="unit"/> (constant strings: nothing is formatted unless the
    /// collective stalls, so a step allocates nothing here).</summary>
    public void Enter(string operation, long count, string unit)
    {
        lock (_gate)
        {
            _operation = operation;
            _count = count;
            _unit = unit;
            _startedAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Marks its end.</summary>
    public void Exit()
    {
        lock (_gate) _operation = null;
    }

    public void Dispose()
    {
        _stopped = true;
        _thread.Join();
    }

    private void Watch()
    {
        while (!_stopped)
        {
            Thread.Sleep(250);
            string? stalled = null;
            lock (_gate)
                if (_operation is not null && Stopwatch.GetTimestamp() - _startedAt > _timeoutTicks) stalled = $"{_operation} of {_count} {_unit}";
            if (stalled is null) continue;
            var message = $"kfac: {_who}: {stalled} did not complete within {Timeout.TotalSeconds:F0} s: another rank has died or hangs. " +
                          $"Ending this rank (exit code {ExitCode}) so that mpirun ends the job; raise the limit with KFAC_MPI_TIMEOUT_SECONDS if a step is legitimately slower.";
            Console.Error.WriteLine(message);
            Console.Error.Flush();
            Console.Out.Flush();
            ExitNow(ExitCode);
        }
    }

    private static void ExitNow(int code)
    {
        if (OperatingSystem.IsLinux()) _exit(code);
        Process.GetCurrentProcess().Kill(); // elsewhere: no managed shutdown either (status: killed)
    }

    [LibraryImport("libc.so.6")]
    private static partial void _exit(int status);
}
