using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>ty = tx - rowsum(exp(y) tx), the forward-mode derivative of log-softmax (y its output); one group per row.</summary>
internal static class LogSoftmaxJvpKernel
{
    public static void Run<T, TReal>(ArrayView<T> y, ArrayView<T> tx, ArrayView<T> ty, int rows, int cols)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var shared = SharedMemory.Allocate<T>(KernelLimits.MaxGroupSize);
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            T d = T.Zero;
            for (int c = Group.IdxX; c < cols; c += Group.DimX) d += default(TReal).Exp(y[r * cols + c]) * tx[r * cols + c];
            d = GroupReduce.Sum(shared, d);
            for (int c = Group.IdxX; c < cols; c += Group.DimX) ty[r * cols + c] = tx[r * cols + c] - d;
        }
    }
}
