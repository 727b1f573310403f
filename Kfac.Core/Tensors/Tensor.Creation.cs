using System.Runtime.InteropServices;
using Kfac.Cpu;

namespace Kfac.Tensors;

public sealed partial class Tensor
{
    /// <summary>An uninitialised tensor (pooled buffer; contents are whatever was there).</summary>
    public static Tensor Empty(Shape shape, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return new Tensor(d.Backend.Allocate(dtype, shape.Numel), shape);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with 0 (on the CPU unless <paramref name="device"/> is given).</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 0, dtype, device);

    /// <summary>A tensor of <paramref name="shape"/> filled with 1.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    /// <summary>A tensor of <paramref name="shape"/> with every element equal to <paramref name="value"/> (rounded to <paramref name="dtype"/>).</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Empty(shape, dtype, device);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full(Shape.Scalar, value, dtype, device);

    /// <summary>Copies <paramref name="data"/> (row-major) into a new tensor; the dtype follows T.</summary>
    public static Tensor FromArray<T>(ReadOnlySpan<T> data, Shape shape, Device? device = null) where T : unmanaged
    {
        if (data.Length != shape.Numel)
            throw new ArgumentException($"data has {data.Length} elements but shape {shape} needs {shape.Numel}", nameof(data));
        var t = Empty(shape, DTypeExtensions.Of<T>(), device);
        t.Backend.Upload(data, t.Storage, 0);
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> (row-major) with the given dimensions; the dtype follows T (float or double).</summary>
    public static Tensor FromArray<T>(T[] data, params int[] shape) where T : unmanaged => FromArray<T>(data, new Shape(shape));

    /// <summary>Like <see cref="FromArray{T}(ReadOnlySpan{T}, Shape, Device?)"/> but converting to <paramref name="dtype"/>.</summary>
    public static Tensor FromDoubles(ReadOnlySpan<double> data, Shape shape, DType dtype, Device? device = null)
    {
        if (dtype == DType.Float64) return FromArray(data, shape, device);
        var f = new float[data.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)data[i];
        return FromArray<float>(f, shape, device);
    }

    /// <summary>Independent N(mean, std^2) entries from <paramref name="rng"/> (drawn in double on the host).</summary>
    public static Tensor RandN(Shape shape, System.Random rng, double mean = 0, double std = 1, DType dtype = DType.Float32, Device? device = null)
    {
        var d = new double[shape.Numel];
        for (int i = 0; i < d.Length; i++) d[i] = mean + std * Kfac.Sampling.Gaussian.Sample(rng);
        return FromDoubles(d, shape, dtype, device);
    }

    /// <summary>Independent U[low, high) entries.</summary>
    public static Tensor Rand(Shape shape, System.Random rng, double low = 0, double high = 1, DType dtype = DType.Float32, Device? device = null)
    {
        var d = new double[shape.Numel];
        for (int i = 0; i < d.Length; i++) d[i] = low + (high - low) * rng.NextDouble();
        return FromDoubles(d, shape, dtype, device);
    }

    /// <summary>An uninitialized tensor with the shape, dtype and device of <paramref name="x"/>.</summary>
    public static Tensor EmptyLike(Tensor x) => Empty(x.Shape, x.DType, x.Device);

    /// <summary>A zero tensor with the shape, dtype and device of <paramref name="x"/>.</summary>
    public static Tensor ZerosLike(Tensor x) => Zeros(x.Shape, x.DType, x.Device);

    /// <summary>Copies the elements to a new host array of T (T must match the dtype).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        CheckElementType<T>();
        var result = new T[Numel];
        Backend.Download<T>(Storage, 0, result);
        return result;
    }

    /// <summary>Copies the elements to a new double array whatever the dtype (tests, diagnostics).</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64) return ToArray<double>();
        var f = ToArray<float>();
        var d = new double[f.Length];
        for (int i = 0; i < f.Length; i++) d[i] = f[i];
        return d;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Item() needs a one-element tensor, this one has shape {Shape}");
        return ToDoubleArray()[0];
    }

    /// <summary>Element at a multi-index (slow; tests and diagnostics).</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public double this[params int[] index]
    {
        get
        {
            if (index.Length != Rank)
                throw new ArgumentException($"index has {index.Length} coordinates, tensor has shape {Shape}", nameof(index));
            int flat = 0;
            for (int i = 0; i < Rank; i++)
            {
                if ((uint)index[i] >= (uint)Shape[i])
                    throw new ArgumentOutOfRangeException(nameof(index), $"index [{string.Join(", ", index)}] is out of range for shape {Shape}");
                flat = flat * Shape[i] + index[i];
            }
            if (DType == DType.Float64) { Span<double> v = stackalloc double[1]; Backend.Download(Storage, flat, v); return v[0]; }
            Span<float> f = stackalloc float[1];
            Backend.Download(Storage, flat, f);
            return f[0];
        }
    }

    /// <summary>Direct access to a CPU tensor's elements (T must match the dtype).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        CheckElementType<T>();
        if (Storage is not CpuStorage cpu)
            throw new InvalidOperationException($"AsSpan needs a CPU tensor; {Describe()} is on {Device}. Use ToArray() or To(Device.Cpu).");
        return cpu.Span<T>()[..Numel];
    }

    /// <summary>Overwrites this tensor's elements from host data (T must match the dtype).</summary>
    public void CopyFrom<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        CheckElementType<T>();
        if (data.Length != Numel)
            throw new ArgumentException($"data has {data.Length} elements, tensor {Describe()} has {Numel}", nameof(data));
        Backend.Upload(data, Storage, 0);
    }

    /// <summary>Overwrites this tensor's elements with another's (same shape, dtype and device); no graph.</summary>
    public void CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Shape != Shape)
            throw new ShapeMismatchException("CopyFrom", nameof(source), Shape, source.Shape);
        if (source.DType != DType || source.Device != Device)
            throw new ArgumentException($"CopyFrom: source is {source.DType} on {source.Device}, destination is {DType} on {Device}", nameof(source));
        Backend.Copy(source, this);
    }

    /// <summary>A copy with no graph history.</summary>
    public Tensor Clone()
    {
        var t = EmptyLike(this);
        Backend.Copy(this, t);
        t.Name = Name;
        return t;
    }

    /// <summary>A copy converted to another dtype and/or device (no graph history).</summary>
    public Tensor To(DType dtype, Device? device = null)
    {
        var target = device ?? Device;
        if (dtype == DType && target == Device) return Clone();
        var data = ToDoubleArray();
        var t = FromDoubles(data, Shape, dtype, target);
        t.Name = Name;
        return t;
    }

    /// <summary>A copy on <paramref name="device"/> with the same dtype (a clone when the tensor is already there).</summary>
    public Tensor To(Device device) => To(DType, device);

    private void CheckElementType<T>() where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType)
            throw new InvalidOperationException($"tensor {Describe()} is {DType}; asked for {typeof(T).Name} elements");
    }
}
