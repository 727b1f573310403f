namespace Kfac.Gpu.Kernels;

/// <summary>Slots of the small double buffer through which the SPD-inverse kernels report to the host (one download
/// per attempt). Counts are stored as doubles so one buffer and double atomics serve every slot.</summary>
internal static class SpdInfo
{
    /// <summary>Number of NaN/Inf entries in the input matrix.</summary>
    public const int NonFiniteInput = 0;

    /// <summary>1 + index of the first Cholesky pivot that was not positive and finite (0: none failed).</summary>
    public const int FailedPivot = 1;

    /// <summary>The failing pivot's value (before the square root).</summary>
    public const int PivotValue = 2;

    /// <summary>Number of NaN/Inf entries in the computed inverse (float32 overflow, or the float64 result rounded to float).</summary>
    public const int NonFiniteResult = 3;

    public const int Length = 4;
}
