using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>dst[dstOffset + r * dstStride + c] = src[srcOffset + r * srcStride + c] for a rows x cols block
/// (grid-stride over the block in row-major order; consecutive threads copy consecutive columns).</summary>
internal static class CopyBlockKernel
{
    public static void Run<T>(ArrayView<T> src, ArrayView<T> dst, BlockArgs b) where T : unmanaged, INumber<T>
    {
        int total = b.Rows * b.Cols;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int r = l / b.Cols, c = l - r * b.Cols;
            dst[b.DstOffset + r * b.DstStride + c] = src[b.SrcOffset + r * b.SrcStride + c];
        }
    }
}
