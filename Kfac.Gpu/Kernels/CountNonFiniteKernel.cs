using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>counters[slot] += number of NaN/Inf among x[0..n). Each thread counts its grid-stride share and adds it
/// with one atomic only when non-zero (the common all-finite case costs no atomics).</summary>
internal static class CountNonFiniteKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, int n, ArrayView<double> counters, int slot)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        int bad = 0;
        for (int l = Grid.GlobalIndex.X; l < n; l += Grid.DimX * Group.DimX)
            if (!default(TReal).IsFinite(x[l])) bad++;
        if (bad != 0) Atomic.Add(ref counters[slot], bad);
    }
}
