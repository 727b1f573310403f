namespace Kfac.Distributed.Mpi;

/// <summary>
/// The dozen MPI calls the communicator needs, over one loaded library. The two ABIs in use differ only in
/// how handles are passed (<see cref="OpenMpiAbi"/>: addresses of exported globals; <see cref="MpichAbi"/>:
/// 32-bit integer constants, shared by MPICH and its derivatives), so each subclass binds the same C
/// signatures with its own handle type. Every call returns MPI's error code (0 = MPI_SUCCESS).
/// Communication is always on MPI_COMM_WORLD.
/// </summary>
internal abstract unsafe class MpiAbi
{
    /// <summary>"Open MPI" or "MPICH".</summary>
    public abstract string Family { get; }

    /// <summary>MPI_Init_thread(NULL, NULL, required, &amp;provided).</summary>
    public abstract int InitThread(int required, out int provided);

    public abstract int Initialized(out bool flag);

    public abstract int Finalized(out bool flag);

    public abstract int Finalize();

    public abstract int CommRank(out int rank);

    public abstract int CommSize(out int size);

    /// <summary>MPI_Allreduce(MPI_IN_PLACE, data, count, type, op, MPI_COMM_WORLD).</summary>
    public abstract int AllreduceInPlace(void* data, int count, MpiElement type, ReduceOperation op);

    public abstract int Bcast(void* data, int count, MpiElement type, int root);

    public abstract int Allgather(void* send, int sendCount, MpiElement sendType, void* receive, int receiveCount, MpiElement receiveType);

    public abstract int Barrier();

    public abstract int Abort(int errorCode);

    /// <summary>MPI_Get_library_version, or "" when the library lacks it.</summary>
    public abstract string LibraryVersion();

    /// <summary>MPI_Error_string of <paramref name="code"/>.</summary>
    public abstract string ErrorString(int code);

    /// <summary>Reads a C string of at most <paramref name="length"/> bytes.</summary>
    protected static string Text(byte* buffer, int length) =>
        System.Text.Encoding.UTF8.GetString(buffer, Math.Max(0, length)).TrimEnd('\0', '\n', ' ');

    /// <summary>The address of an exported function; a missing one is a library we cannot use.</summary>
    protected static nint Export(nint library, string name, string path) =>
        System.Runtime.InteropServices.NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new MpiNotFoundException($"the MPI library '{path}' has no export '{name}'; it is not an MPI-3 library");
}
