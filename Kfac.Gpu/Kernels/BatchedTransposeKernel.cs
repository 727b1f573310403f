using System.Numerics;
using ILGPU;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// y[o] = x[o]^T for outer matrices of a x b (SwapMiddleAxes with inner = 1, e.g. NCHW to NHWC), through a
/// 32 x 33 shared tile as in <see cref="TransposeKernel"/>. Groups of 32 x TY threads stride over the
/// outer * ceil(a / 32) * ceil(b / 32) tiles (the loop count is the same for every thread of a group, so the
/// barriers inside are uniform); both global accesses coalesce.
/// </summary>
internal static class BatchedTransposeKernel
{
    public static void Run<T>(ArrayView<T> x, ArrayView<T> y, SwapArgs s) where T : unmanaged, INumber<T>
    {
        const int side = KernelLimits.TransposeTile;
        var tile = SharedMemory.Allocate<T>(side * (side + 1));
        int tx = Group.IdxX, ty = Group.IdxY, dimY = Group.DimY;
        int tilesA = (s.A + side - 1) / side, tilesB = (s.B + side - 1) / side;
        int tiles = s.Outer * tilesA * tilesB, matrix = s.A * s.B;
        for (int t = Grid.IdxX; t < tiles; t += Grid.DimX)
        {
            int o = t / (tilesA * tilesB), within = t - o * tilesA * tilesB;
            int ta = within / tilesB, tb = within - ta * tilesB;
            int r0 = ta * side, c0 = tb * side, offset = o * matrix;
            for (int r = ty; r < side; r += dimY)
                if (r0 + r < s.A && c0 + tx < s.B) tile[r * (side + 1) + tx] = x[offset + (r0 + r) * s.B + c0 + tx];
            Group.Barrier();
            // y[o] is b x a: y[o, c0 + c, r0 + tx] = x[o, r0 + tx, c0 + c].
            for (int c = ty; c < side; c += dimY)
                if (c0 + c < s.B && r0 + tx < s.A) y[offset + (c0 + c) * s.A + r0 + tx] = tile[tx * (side + 1) + c];
            Group.Barrier();
        }
    }
}
