namespace Kfac.Cpu.Blas;

/// <summary>Argument validation shared by Gemm and Covariance; messages name the argument and the sizes involved.</summary>
/// <summary>The sizes of a call, formatted into an exception message only when one is thrown (validation must not
/// allocate on the hot path).</summary>
internal readonly record struct CallShape(int M, int N, int K, bool TransA, bool TransB, bool IsSyrk)
{
    public override string ToString() => IsSyrk
        ? $"m = {M}, n = {N}"
        : $"m = {M}, n = {N}, k = {K}, transA = {TransA}, transB = {TransB}";
}

internal static class GemmArgs
{
    public static void NonNegative(int value, string name, in CallShape context)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0, got {value} ({context})");
    }

    /// <summary>Checks a row-major matrix stored as rows x cols with row stride ld in a span of the given length.</summary>
    public static void Matrix(string spanName, int length, string ldName, int ld, int rows, int cols, string what, in CallShape context)
    {
        if (ld < cols || ld < 0)
            throw new ArgumentOutOfRangeException(ldName, ld,
                $"{ldName} ({ld}) must be >= the stored row length {cols} of {what} (stored {rows} x {cols}; {context})");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException(
                $"{spanName} has {length} elements but {what} (stored {rows} x {cols}, {ldName} = {ld}) needs {needed} ({context})",
                spanName);
    }

    public static void MaxThreads(int maxThreads)
    {
        if (maxThreads < 0)
            throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, $"maxThreads must be >= 0 (0 = CpuParallel.MaxThreads), got {maxThreads}");
    }
}
