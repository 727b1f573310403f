using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// y[o, i] (+)= sum_d x[o, d, i] for inner &gt; 1 (column sums: the bias gradient is SumAxis over the batch).
/// <para>A group is 32 x TY threads (TY = 8 on CUDA) and owns 32 consecutive outputs l = o * inner + i (grid-stride
/// over such chunks): thread (tx, ty) sums d = ty, ty + TY, ... for output tx of the chunk, so a warp reads 32
/// consecutive addresses per step and a column of length dim is split TY ways; the TY partial sums are added in
/// shared memory. The launcher uses <see cref="RowSumKernel"/> when inner = 1.</para>
/// </summary>
internal static class SumAxisKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, AxisArgs g) where T : unmanaged, INumber<T>
    {
        const int width = 32;
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        int tx = Group.IdxX, ty = Group.IdxY, dimY = Group.DimY;
        int outputs = g.Outer * g.Inner, chunks = (outputs + width - 1) / width;
        for (int chunk = Grid.IdxX; chunk < chunks; chunk += Grid.DimX)
        {
            int l = chunk * width + tx;
            T s = T.Zero;
            if (l < outputs)
            {
                int o = l / g.Inner, i = l - o * g.Inner;
                int at = (o * g.Dim + ty) * g.Inner + i, step = dimY * g.Inner;
                for (int d = ty; d < g.Dim; d += dimY, at += step) s += x[at];
            }
            shared[ty * width + tx] = s;
            Group.Barrier();
            if (ty == 0 && l < outputs)
            {
                T total = T.Zero;
                for (int q = 0; q < dimY; q++) total += shared[q * width + tx];
                y[l] = g.Accumulate != 0 ? y[l] + total : total;
            }
            Group.Barrier();
        }
    }
}
