using System.Numerics;

namespace Kfac.Linalg;

/// <summary>Small in-place helpers for square row-major matrices used around the SPD inverses (damping,
/// symmetrisation, traces for the pi-adjusted factored Tikhonov damping of Martens &amp; Grosse 2015, section 6.3).</summary>
public static class SymmetricOps
{
    /// <summary>A := A + value * I (Tikhonov damping of a Kronecker factor).</summary>
    public static void AddScaledIdentity<T>(Span<T> a, int n, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        for (int i = 0; i < n; i++) a[i * n + i] += value;
    }

    /// <summary>A := (A + A^T) / 2, which makes A exactly symmetric (both triangles get the same rounded value).</summary>
    public static void Symmetrize<T>(Span<T> a, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        T half = T.CreateTruncating(0.5);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                T s = (a[i * n + j] + a[j * n + i]) * half;
                a[i * n + j] = s;
                a[j * n + i] = s;
            }
    }

    /// <summary>tr(A) = sum_i a_ii.</summary>
    public static T Trace<T>(ReadOnlySpan<T> a, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixChecks.Square(a.Length, n, nameof(a));
        T s = T.Zero;
        for (int i = 0; i < n; i++) s += a[i * n + i];
        return s;
    }
}
