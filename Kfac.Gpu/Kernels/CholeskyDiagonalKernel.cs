using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>
/// Factors one bs x bs diagonal block (bs &lt;= 32) of the blocked right-looking Cholesky in place: w[j0.., j0..] =
/// L11 with L11 L11^T = the block (already updated by the previous trailing updates). Launched as ONE group: the
/// block is staged in shared memory, then for each column k thread 0 takes the pivot, the threads scale column k
/// below it, and all threads apply the rank-one update to the remaining lower triangle (three barriers per column).
/// The upper part of the block is zeroed so L is exactly lower triangular.
/// <para>A pivot that is not positive and finite (LAPACK potrf's test) is recorded in info (the first one only;
/// blocks run in order, and later pivots are NaN anyway), and the factorisation carries on with NaN so that no
/// branch depends on a host round trip; the host reads info once at the end.</para>
/// </summary>
internal static class CholeskyDiagonalKernel
{
    public static void Run<T, TReal>(ArrayView<T> w, int n, int j0, int bs, ArrayView<double> info)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        const int ld = KernelLimits.CholeskyStride;
        var s = SharedMemory.Allocate<T>(KernelLimits.CholeskyBlock * ld);
        var real = default(TReal);
        int t = Group.IdxX, threads = Group.DimX;
        int origin = j0 * n + j0;
        for (int l = t; l < bs * bs; l += threads)
        {
            int i = l / bs, j = l - i * bs;
            s[i * ld + j] = w[origin + i * n + j];
        }
        Group.Barrier();

        for (int k = 0; k < bs; k++)
        {
            if (t == 0)
            {
                T pivot = s[k * ld + k];
                if (!(pivot > T.Zero) || !real.IsFinite(pivot))
                {
                    if (info[SpdInfo.FailedPivot] == 0)
                    {
                        info[SpdInfo.FailedPivot] = j0 + k + 1;
                        info[SpdInfo.PivotValue] = real.ToDouble(pivot);
                    }
                    s[k * ld + k] = real.FromDouble(double.NaN);
                }
                else s[k * ld + k] = real.Sqrt(pivot);
            }
            Group.Barrier();
            T d = s[k * ld + k];
            for (int i = k + 1 + t; i < bs; i += threads) s[i * ld + k] /= d;
            Group.Barrier();
            // Rank-one update of the trailing lower triangle: s[i, j] -= s[i, k] s[j, k] for k < j <= i.
            int rest = bs - k - 1;
            for (int l = t; l < rest * rest; l += threads)
            {
                int i = k + 1 + l / rest, j = k + 1 + l % rest;
                if (j <= i) s[i * ld + j] -= s[i * ld + k] * s[j * ld + k];
            }
            Group.Barrier();
        }

        for (int l = t; l < bs * bs; l += threads)
        {
            int i = l / bs, j = l - i * bs;
            w[origin + i * n + j] = j <= i ? s[i * ld + j] : T.Zero;
        }
    }
}
