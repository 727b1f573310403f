namespace Kfac.Distributed.Mpi;

/// <summary>
/// MPICH's ABI (also Intel MPI, MVAPICH, Cray MPICH): MPI_Comm, MPI_Datatype and MPI_Op are 32-bit
/// integers and the predefined handles are constants of mpi.h (MPICH 4.0: MPI_COMM_WORLD 0x44000000, MPI_FLOAT
/// 0x4c00040a, MPI_DOUBLE 0x4c00080b, MPI_INT 0x4c000405, MPI_INT64_T 0x4c00083a, MPI_BYTE 0x4c00010d, MPI_MAX
/// 0x58000001, MPI_MIN 0x58000002, MPI_SUM 0x58000003). MPI_IN_PLACE is (void*)-1.
/// </summary>
internal sealed unsafe class MpichAbi : MpiAbi
{
    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<int, int*, int> _commRank;
    private readonly delegate* unmanaged<int, int*, int> _commSize;
    private readonly delegate* unmanaged<void*, void*, int, int, int, int, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, int, int, int, int> _bcast;
    private readonly delegate* unmanaged<void*, int, int, void*, int, int, int, int> _allgather;
    private readonly delegate* unmanaged<int, int> _barrier;
    private readonly delegate* unmanaged<int, int, int> _abort;
    private readonly delegate* unmanaged<byte*, int*, int> _libraryVersion;
    private readonly delegate* unmanaged<int, byte*, int*, int> _errorString;
    private readonly int _world, _float, _double, _int32, _int64, _byte, _sum, _max, _min;

    public MpichAbi(nint library, string path)
    {
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(library, "MPI_Init_thread", path);
        _initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized", path);
        _finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized", path);
        _finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize", path);
        _commRank = (delegate* unmanaged<int, int*, int>)Export(library, "MPI_Comm_rank", path);
        _commSize = (delegate* unmanaged<int, int*, int>)Export(library, "MPI_Comm_size", path);
        _allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)Export(library, "MPI_Allreduce", path);
        _bcast = (delegate* unmanaged<void*, int, int, int, int, int>)Export(library, "MPI_Bcast", path);
        _allgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int>)Export(library, "MPI_Allgather", path);
        _barrier = (delegate* unmanaged<int, int>)Export(library, "MPI_Barrier", path);
        _abort = (delegate* unmanaged<int, int, int>)Export(library, "MPI_Abort", path);
        _libraryVersion = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_library_version", path);
        _errorString = (delegate* unmanaged<int, byte*, int*, int>)Export(library, "MPI_Error_string", path);
        _world = 0x44000000;
        _float = 0x4c00040a;
        _double = 0x4c00080b;
        _int32 = 0x4c000405;
        _int64 = 0x4c00083a;
        _byte = 0x4c00010d;
        _max = 0x58000001;
        _min = 0x58000002;
        _sum = 0x58000003;
    }

    public override string Family => "MPICH";

    public override int InitThread(int required, out int provided)
    {
        int p;
        int rc = _initThread(null, null, required, &p);
        provided = p;
        return rc;
    }

    public override int Initialized(out bool flag)
    {
        int f;
        int rc = _initialized(&f);
        flag = f != 0;
        return rc;
    }

    public override int Finalized(out bool flag)
    {
        int f;
        int rc = _finalized(&f);
        flag = f != 0;
        return rc;
    }

    public override int Finalize() => _finalize();

    public override int CommRank(out int rank)
    {
        int r;
        int rc = _commRank(_world, &r);
        rank = r;
        return rc;
    }

    public override int CommSize(out int size)
    {
        int s;
        int rc = _commSize(_world, &s);
        size = s;
        return rc;
    }

    public override int AllreduceInPlace(void* data, int count, MpiElement type, ReduceOperation op) =>
        _allreduce((void*)(nint)(-1), data, count, Type(type), Op(op), _world);

    public override int Bcast(void* data, int count, MpiElement type, int root) => _bcast(data, count, Type(type), root, _world);

    public override int Allgather(void* send, int sendCount, MpiElement sendType, void* receive, int receiveCount, MpiElement receiveType) =>
        _allgather(send, sendCount, Type(sendType), receive, receiveCount, Type(receiveType), _world);

    public override int Barrier() => _barrier(_world);

    public override int Abort(int errorCode) => _abort(_world, errorCode);

    public override string LibraryVersion()
    {
        const int capacity = 8192; // MPI_MAX_LIBRARY_VERSION_STRING: 256 in Open MPI, 8192 in MPICH
        byte* buffer = stackalloc byte[capacity];
        int length;
        return _libraryVersion(buffer, &length) == 0 ? Text(buffer, Math.Min(length, capacity)) : "";
    }

    public override string ErrorString(int code)
    {
        const int capacity = 1024; // MPI_MAX_ERROR_STRING: 256 in Open MPI, 1024 in MPICH
        byte* buffer = stackalloc byte[capacity];
        int length;
        return _errorString(code, buffer, &length) == 0 ? Text(buffer, Math.Min(length, capacity)) : $"MPI error {code}";
    }

    private int Type(MpiElement type) => type switch
    {
        MpiElement.Float => _float,
        MpiElement.Double => _double,
        MpiElement.Int32 => _int32,
        MpiElement.Int64 => _int64,
        MpiElement.Byte => _byte,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown MPI element type"),
    };

    private int Op(ReduceOperation op) => op switch
    {
        ReduceOperation.Sum => _sum,
        ReduceOperation.Max => _max,
        ReduceOperation.Min => _min,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown reduce operation"),
    };
}
