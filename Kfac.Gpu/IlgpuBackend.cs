using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Kfac.Gpu.Kernels;
using Kfac.Gpu.Arithmetic;
using Kfac.Gpu.Runtime;
using Kfac.Tensors;
using Device = Kfac.Tensors.Device;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>
/// <see cref="IBackend"/> on an ILGPU accelerator (CUDA, or ILGPU's CPU accelerator for tests). Tensors live in
/// pooled device buffers (<see cref="GpuStorage"/>); every kernel is compiled once, here in the constructor
/// (<see cref="KernelSet{T, TReal}"/>), for float32 and float64; all work is queued on the accelerator's default
/// stream, so consecutive ops run in order without host synchronisation.
/// <para>Host round trips happen only where the interface returns a host value (Sum, Dot, Trace, AllFinite read a
/// few partial sums; Download), in Upload (the host span must be consumed before returning), and once per
/// SpdInverse attempt, which must decide on the host whether to throw or to retry in float64 (its kernels report
/// pivot failures and non-finite values in a small status buffer read in one transfer).</para>
/// The methods are grouped by family in the IlgpuBackend.*.cs files.
/// </summary>
public sealed partial class IlgpuBackend : IBackend, IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly KernelSet<float, Real32> _f32;
    private readonly KernelSet<double, Real64> _f64;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _status;
    private readonly double[] _partialsHost;
    private readonly double[] _statusHost = new double[SpdInfo.Length];
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Creates the backend for <paramref name="device"/> on an accelerator it takes ownership of.</summary>
    internal IlgpuBackend(Device device, Accelerator accelerator, int? groupSize = null)
    {
        Device = device;
        _accelerator = accelerator;
        _stream = accelerator.DefaultStream;
        Policy = LaunchPolicy.For(accelerator, groupSize);
        Pool = new GpuMemoryPool(accelerator);
        _f32 = new KernelSet<float, Real32>(accelerator);
        _f64 = new KernelSet<double, Real64>(accelerator);
        _widen = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<double>, int, double, ArrayView<double>>(
            SymmetrizeKernel.Run<float, Real32, double, Real64>);
        _narrow = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<float>, int, ArrayView<double>, int>(
            CastKernel.Run<double, Real64, float, Real32>);
        _partials = accelerator.Allocate1D<double>(Policy.MaxGroups);
        _partialsHost = new double[Policy.MaxGroups];
        _status = accelerator.Allocate1D<double>(SpdInfo.Length);
    }

    public Device Device { get; }

    /// <summary>The accelerator's name (e.g. "NVIDIA H200" or "CPUAccelerator").</summary>
    public string AcceleratorName => _accelerator.Name;

    public AcceleratorType AcceleratorType => _accelerator.AcceleratorType;

    /// <summary>Group sizes and grid caps used for every launch.</summary>
    public LaunchPolicy Policy { get; }

    /// <summary>The device-memory pool (its <see cref="GpuMemoryPool.DeviceAllocations"/> shows whether a step allocated).</summary>
    public GpuMemoryPool Pool { get; }

    /// <summary>Waits until every queued kernel and copy has finished (benchmarks time with it).</summary>
    public void Synchronize() => _stream.Synchronize();

    public Storage Allocate(DType dtype, int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "a storage length must be >= 0");
        return new GpuStorage(Device, dtype, length, Pool);
    }

    public void Upload<T>(ReadOnlySpan<T> source, Storage destination, int offset) where T : unmanaged
    {
        var view = Storage(destination, nameof(destination)).View<T>();
        CheckRange(offset, source.Length, view.IntLength, nameof(destination));
        if (source.IsEmpty) return;
        view.SubView(offset, source.Length).CopyFromCPU(_stream, source);
        _stream.Synchronize();
    }

    public void Download<T>(Storage source, int offset, Span<T> destination) where T : unmanaged
    {
        var view = Storage(source, nameof(source)).View<T>();
        CheckRange(offset, destination.Length, view.IntLength, nameof(source));
        if (destination.IsEmpty) return;
        view.SubView(offset, destination.Length).CopyToCPU(_stream, destination);
        _stream.Synchronize();
    }

    private static void CheckRange(int offset, int count, int length, string name)
    {
        if (offset < 0 || count < 0 || offset > length - count)
            throw new ArgumentOutOfRangeException(name, $"elements [{offset}, {offset + count}) are outside the storage of {length} elements");
    }

    private GpuStorage Storage(Storage s, string name)
    {
        ArgumentNullException.ThrowIfNull(s, name);
        if (s is not GpuStorage g || s.Device != Device)
            throw new ArgumentException($"'{name}' lives on {s.Device}, not on this backend's device {Device}", name);
        return g;
    }

    /// <summary>The tensor's elements as a device view (checked to be on this device and of element type T).</summary>
    private ArrayView<T> V<T>(Tensor t, string name) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(t, name);
        return Storage(t.Storage, name).View<T>().SubView(0, t.Numel);
    }

    private static bool IsDouble(Tensor t) => t.DType == DType.Float64;

    private static void SameDType(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"'{nameA}' is {a.DType} but '{nameB}' is {b.DType}", nameB);
    }

    private static void AtLeast(Tensor t, long count, string name, string what)
    {
        if (t.Numel < count)
            throw new ArgumentException($"'{name}' has shape {t.Shape} ({t.Numel} elements) but {what} needs {count}", name);
    }

    /// <summary>Sums the first <paramref name="groups"/> partial sums written by a partial-reduction kernel (one
    /// transfer). Call under <see cref="_gate"/>: the partials buffer is shared.</summary>
    private double SumPartials(int groups)
    {
        _partials.View.SubView(0, groups).CopyToCPU(_stream, _partialsHost.AsSpan(0, groups));
        _stream.Synchronize();
        double s = 0;
        for (int i = 0; i < groups; i++) s += _partialsHost[i];
        return s;
    }

    private static T Cast<T>(double v) where T : INumber<T> => T.CreateTruncating(v);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stream.Synchronize();
        Pool.Dispose();
        _partials.Dispose();
        _status.Dispose();
        _accelerator.Dispose();
    }

    public override string ToString() => $"IlgpuBackend({Device}, {_accelerator.Name}, groups of {Policy.GroupSize})";
}
