using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>ty[r] = sum_c exp(x[r, c] - y[r]) tx[r, c] (softmax-weighted tangent); one group per row.</summary>
internal static class LogSumExpJvpKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, ArrayView<T> tx, ArrayView<T> ty, int rows, int cols)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            T s = T.Zero;
            for (int c = Group.IdxX; c < cols; c += Group.DimX) s += default(TReal).Exp(x[r * cols + c] - y[r]) * tx[r * cols + c];
            s = GroupReduce.Sum(shared, s);
            if (Group.IdxX == 0) ty[r] = s;
        }
    }
}
