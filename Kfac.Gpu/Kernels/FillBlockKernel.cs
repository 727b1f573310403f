using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>dst[offset + r * stride + c] = value for a rows x cols block (Fill is the one-row case).
/// Grid-stride loop: thread t handles elements t, t + T, ... (T = threads in the grid) in row-major block order.</summary>
internal static class FillBlockKernel
{
    public static void Run<T>(ArrayView<T> dst, BlockArgs b, T value) where T : unmanaged, INumber<T>
    {
        int total = b.Rows * b.Cols;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int r = l / b.Cols, c = l - r * b.Cols;
            dst[b.DstOffset + r * b.DstStride + c] = value;
        }
    }
}
