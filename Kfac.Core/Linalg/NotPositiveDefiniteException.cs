namespace Kfac.Linalg;

/// <summary>
/// A symmetric matrix that was required to be positive definite is not (numerically): a Cholesky pivot
/// (the Schur complement a_jj - sum_k l_jk^2 of LAPACK dpotrf) was not strictly positive and finite, or an
/// eigenvalue that must be positive was not. Callers typically add damping (A + d I) and retry.
/// </summary>
public sealed class NotPositiveDefiniteException : LinalgException
{
    /// <summary>The order n of the n x n matrix.</summary>
    public int MatrixSize { get; }

    /// <summary>Zero-based index of the failing pivot (or eigenvalue).</summary>
    public int PivotIndex { get; }

    /// <summary>The failing pivot value (before the square root), as double.</summary>
    public double PivotValue { get; }

    /// <summary>Reports that pivot <paramref name="pivotIndex"/> of an n x n matrix (n = <paramref name="matrixSize"/>) was <paramref name="pivotValue"/>, not strictly positive and finite, with optional extra <paramref name="detail"/>.</summary>
    public NotPositiveDefiniteException(int matrixSize, int pivotIndex, double pivotValue, string? detail = null,
        Exception? inner = null)
        : base(Describe(matrixSize, pivotIndex, pivotValue, detail), inner)
    {
        MatrixSize = matrixSize;
        PivotIndex = pivotIndex;
        PivotValue = pivotValue;
    }

    private static string Describe(int n, int pivot, double value, string? detail) =>
        FormattableString.Invariant($"The {n}x{n} matrix is not positive definite: pivot {pivot} is {value:R}")
        + (detail is null ? "" : $" ({detail})") + "; add damping (A + d I) and retry.";
}
