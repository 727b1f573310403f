using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// Tree reductions over the threads of a one-dimensional group (device functions). Each thread stores its value
/// in <c>shared</c> (length &gt;= group size, a power of two), then log2(group size) halving steps
/// combine pairs; every thread gets the result. All threads of the group must call these (they contain barriers).
/// </summary>
internal static class GroupReduce
{
    public static T Sum<T>(ArrayView<T> shared, T value) where T : unmanaged, INumber<T>
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s) shared[t] += shared[t + s];
            Group.Barrier();
        }
        T result = shared[0];
        Group.Barrier();
        return result;
    }

    /// <summary>Maximum that propagates NaN (like TensorPrimitives.Max on the CPU backend).</summary>
    public static T Max<T, TReal>(ArrayView<T> shared, T value)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s) shared[t] = MaxNaN<T, TReal>(shared[t], shared[t + s]);
            Group.Barrier();
        }
        T result = shared[0];
        Group.Barrier();
        return result;
    }

    public static T MaxNaN<T, TReal>(T a, T b)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        if (default(TReal).IsNaN(a)) return a;
        if (default(TReal).IsNaN(b)) return b;
        return a > b ? a : b;
    }
}
