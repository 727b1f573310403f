using System.Runtime.CompilerServices;
using System.Numerics;

namespace Kfac.Cpu.Blas;

/// <summary>Scalar merge of a computed tile into C, for edge tiles and the triangle of SYRK diagonal tiles.</summary>
internal static unsafe class TileMerge
{
    /// <summary>C[i, j] = alpha * t[i, j] + beta * C[i, j] for i &lt; mr, j &lt; nr (beta == 0: C is not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge<T>(int mr, int nr, T* t, int ldt, T* c, int ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < mr; i++)
        {
            T* ti = t + i * ldt, ci = c + i * ldc;
            if (beta == T.Zero)
                for (int j = 0; j < nr; j++) ci[j] = alpha * ti[j];
            else
                for (int j = 0; j < nr; j++) ci[j] = alpha * ti[j] + beta * ci[j];
        }
    }

    /// <summary>Like <see cref="Merge{T}"/> but only for the entries on or below the diagonal of the whole matrix:
    /// tile entry (i, j) sits at global row row0 + i and column col0 + j and is written when col0 + j &lt;= row0 + i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MergeLower<T>(int mr, int nr, int row0, int col0, T* t, int ldt, T* c, int ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < mr; i++)
        {
            int jEnd = Math.Min(nr, row0 + i - col0 + 1);
            T* ti = t + i * ldt, ci = c + i * ldc;
            if (beta == T.Zero)
                for (int j = 0; j < jEnd; j++) ci[j] = alpha * ti[j];
            else
                for (int j = 0; j < jEnd; j++) ci[j] = alpha * ti[j] + beta * ci[j];
        }
    }
}
