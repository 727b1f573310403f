using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// c (+)= a op b over the [outer, mid, inner] view of the result (Kfac.Tensors.BroadcastLayout): a full operand is
/// indexed by the flat index l, a broadcast one by its middle coordinate (l / inner) % mid. Grid-stride over l.
/// </summary>
internal static class BinaryKernel
{
    public static void Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, BinaryArgs g) where T : unmanaged, INumber<T>
    {
        int total = g.Outer * g.Mid * g.Inner;
        for (int l = Grid.GlobalIndex.X; l < total; l += Grid.DimX * Group.DimX)
        {
            int m = l / g.Inner % g.Mid;
            T av = a[g.Side == OpCodes.SideLeft ? m : l];
            T bv = b[g.Side == OpCodes.SideRight ? m : l];
            T v = g.Op switch
            {
                OpCodes.Add => av + bv,
                OpCodes.Sub => av - bv,
                OpCodes.Mul => av * bv,
                OpCodes.Div => av / bv,
                _ => T.Zero / T.Zero, // an op without a case: NaN, never a silent other op
            };
            c[l] = g.Accumulate != 0 ? c[l] + v : v;
        }
    }
}
