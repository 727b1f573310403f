using System.Globalization;
using System.Runtime.InteropServices;
using Kfac.Distributed.Mpi;

namespace Kfac.Distributed;

/// <summary>
/// MPI_COMM_WORLD of the system's MPI library (Open MPI or MPICH, found and bound at run time by
/// <c>MpiLibrary</c>; no MPI package or compiler is needed at build time). Launch the program as MPI programs
/// are launched: <c>mpirun -np 4 dotnet MyTraining.dll</c>.
/// <para>Lifetime: the constructor calls MPI_Init_thread (MPI_THREAD_SERIALIZED) unless MPI is already
/// initialized, and <see cref="Dispose"/> calls MPI_Finalize if this object initialized it (also at process
/// exit when the program forgot). MPI can be initialized once per process, so create one communicator and
/// share it. Calls are serialized by a lock; call collectives in the same order on every rank.</para>
/// <para>Faults: with MPI's default error handler an MPI error aborts the job. A rank that dies ends the job
/// through mpirun. A rank that hangs leaves the others blocked in a collective: the watchdog ends a rank whose
/// collective has waited longer than <see cref="CollectiveTimeout"/> (default 120 s, or KFAC_MPI_TIMEOUT_SECONDS)
/// with a message naming the operation, and mpirun then ends the rest.</para>
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    /// <summary>Environment variable with the collective timeout in seconds.</summary>
    public const string TimeoutVariable = "KFAC_MPI_TIMEOUT_SECONDS";

    /// <summary>Default for the collective timeout.</summary>
    public static readonly TimeSpan DefaultCollectiveTimeout = TimeSpan.FromSeconds(120);

    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED in both mpi.h files
    private const int MaxElementsPerCall = 1 << 28; // MPI counts are int; larger spans go in pieces
    private static int s_instances;

    private readonly MpiAbi _abi;
    private readonly CollectiveWatchdog _watchdog;
    private readonly object _gate = new();
    private readonly bool _ownsInitialization;
    private bool _disposed;

    /// <summary>Loads MPI, initializes it and reads rank and size. Throws <see cref="MpiNotFoundException"/>
    /// (naming the apt packages) when no MPI library can be loaded.</summary>
    /// <param name="collectiveTimeout">How long a collective may wait for the other ranks before this rank
    /// gives up (null: KFAC_MPI_TIMEOUT_SECONDS, else <see cref="DefaultCollectiveTimeout"/>).</param>
    public MpiCommunicator(TimeSpan? collectiveTimeout = null)
    {
        var timeout = collectiveTimeout ?? TimeoutFromEnvironment() ?? DefaultCollectiveTimeout;
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(collectiveTimeout), timeout, "the collective timeout must be positive");
        if (Interlocked.Increment(ref s_instances) != 1)
        {
            Interlocked.Decrement(ref s_instances);
            throw new InvalidOperationException("an MpiCommunicator already exists in this process; MPI is initialized once per process, so share that one");
        }
        try
        {
            (_abi, LibraryPath) = MpiLibrary.Load();
            Check(_abi.Finalized(out bool finalized), "MPI_Finalized");
            if (finalized) throw new InvalidOperationException("MPI has already been finalized in this process; it cannot be initialized again");
            Check(_abi.Initialized(out bool initialized), "MPI_Initialized");
            if (!initialized)
            {
                Check(_abi.InitThread(ThreadSerialized, out int provided), "MPI_Init_thread");
                ThreadLevel = provided;
                _ownsInitialization = true;
            }
            Check(_abi.CommRank(out int rank), "MPI_Comm_rank");
            Check(_abi.CommSize(out int size), "MPI_Comm_size");
            Rank = rank;
            Size = size;
            string version = _abi.LibraryVersion();
            int newline = version.IndexOfAny(['\n', ',']);
            LibraryVersion = (newline > 0 ? version[..newline] : version).Replace('\t', ' ').Trim();
            Description = $"{_abi.Family} ({LibraryVersion}), rank {Rank} of {Size}";
            CollectiveTimeout = timeout;
            _watchdog = new CollectiveWatchdog(timeout, $"rank {Rank} of {Size}");
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
        catch
        {
            Interlocked.Decrement(ref s_instances);
            throw;
        }
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>"Open MPI" or "MPICH".</summary>
    public string Family => _abi.Family;

    /// <summary>The first line of MPI_Get_library_version.</summary>
    public string LibraryVersion { get; }

    /// <summary>The library file that was loaded.</summary>
    public string LibraryPath { get; }

    /// <summary>The thread level MPI provided (when this object initialized it).</summary>
    public int ThreadLevel { get; } = -1;

    /// <summary>How long one collective may wait before it fails instead of hanging (default 120 s, or KFAC_MPI_TIMEOUT_SECONDS).</summary>
    public TimeSpan CollectiveTimeout { get; }

    /// <inheritdoc/>
    public void AllReduce<T>(Span<T> data, ReduceOperation operation) where T : unmanaged
    {
        CommunicatorChecks.ReducibleType<T>("AllReduce");
        CommunicatorChecks.Operation(operation, "AllReduce");
        var type = typeof(T) == typeof(float) ? MpiElement.Float
            : typeof(T) == typeof(double) ? MpiElement.Double
            : typeof(T) == typeof(int) ? MpiElement.Int32
            : MpiElement.Int64;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watchdog.Enter(operation switch { ReduceOperation.Sum => "all-reduce (Sum)", ReduceOperation.Max => "all-reduce (Max)", _ => "all-reduce (Min)" }, data.Length, ElementName<T>());
            try
            {
                fixed (T* p = data)
                    for (int start = 0; start < data.Length || start == 0; start += MaxElementsPerCall)
                    {
                        int count = Math.Min(MaxElementsPerCall, data.Length - start);
                        Check(_abi.AllreduceInPlace(p + start, count, type, operation), "MPI_Allreduce");
                        if (data.Length == 0) break;
                    }
            }
            finally
            {
                _watchdog.Exit();
            }
        }
    }

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
        CommunicatorChecks.Root(root, Size, "Broadcast");
        var bytes = MemoryMarshal.AsBytes(data);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watchdog.Enter("broadcast", bytes.Length, "bytes");
            try
            {
                fixed (byte* p = bytes)
                    for (int start = 0; start < bytes.Length || start == 0; start += MaxElementsPerCall)
                    {
                        int count = Math.Min(MaxElementsPerCall, bytes.Length - start);
                        Check(_abi.Bcast(p + start, count, MpiElement.Byte, root), "MPI_Bcast");
                        if (bytes.Length == 0) break;
                    }
            }
            finally
            {
                _watchdog.Exit();
            }
        }
    }

    /// <inheritdoc/>
    public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged
    {
        CommunicatorChecks.GatherLengths(send.Length, receive.Length, Size, "AllGather");
        var sendBytes = MemoryMarshal.AsBytes(send);
        var receiveBytes = MemoryMarshal.AsBytes(receive);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watchdog.Enter("all-gather", sendBytes.Length, "bytes per rank");
            try
            {
                fixed (byte* s = sendBytes)
                fixed (byte* r = receiveBytes)
                    Check(_abi.Allgather(s, sendBytes.Length, MpiElement.Byte, r, sendBytes.Length, MpiElement.Byte), "MPI_Allgather");
            }
            finally
            {
                _watchdog.Exit();
            }
        }
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watchdog.Enter("barrier", 0, "bytes");
            try
            {
                Check(_abi.Barrier(), "MPI_Barrier");
            }
            finally
            {
                _watchdog.Exit();
            }
        }
    }

    /// <summary>Ends every rank of the job at once (MPI_Abort) with <paramref name="errorCode"/>, after
    /// printing <paramref name="reason"/> on this rank's standard error. For unrecoverable errors on one rank
    /// that the others cannot know about.</summary>
    public void Abort(string reason, int errorCode = 1)
    {
        Console.Error.WriteLine($"kfac: rank {Rank} of {Size} aborts the job: {reason}");
        Console.Error.Flush();
        _abi.Abort(errorCode);
    }

    /// <summary>Calls MPI_Finalize if this object initialized MPI. Every rank must dispose (it is collective).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _watchdog.Dispose();
        if (_ownsInitialization && _abi.Finalized(out bool finalized) == 0 && !finalized)
            Check(_abi.Finalize(), "MPI_Finalize");
        Interlocked.Decrement(ref s_instances);
    }

    private static string ElementName<T>() =>
        typeof(T) == typeof(float) ? "Single" : typeof(T) == typeof(double) ? "Double" : typeof(T) == typeof(int) ? "Int32" : "Int64";

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private void Check(int code, string call)
    {
        if (code != 0) throw new MpiException(call, code, _abi.ErrorString(code));
    }

    private static TimeSpan? TimeoutFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(TimeoutVariable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0) || double.IsInfinity(seconds))
            throw new ArgumentException($"{TimeoutVariable} is '{text}'; expected a positive number of seconds");
        return TimeSpan.FromSeconds(seconds);
    }
}
