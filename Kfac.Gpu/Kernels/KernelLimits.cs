namespace Kfac.Gpu.Kernels;

/// <summary>Compile-time sizes shared by kernels and the launcher.</summary>
internal static class KernelLimits
{
    /// <summary>Largest group a kernel is launched with; shared-memory reduction buffers have this length.
    /// Group sizes are powers of two (tree reductions halve them).</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Side of the largest GEMM/SYRK output tile: 16 x 16 threads, each computing 4 x 4 outputs.</summary>
    public const int MaxTile = 64;

    /// <summary>Depth of a GEMM tile step (columns of op(A) / rows of op(B) staged in shared memory at once).</summary>
    public const int TileK = 16;

    /// <summary>Row stride of a shared-memory tile: one element of padding so the transposing stores of the
    /// tile loaders fall in different banks.</summary>
    public const int TileStride = MaxTile + 1;

    /// <summary>Outputs per thread along each axis of a GEMM tile (register blocking: 4 x 4 accumulators).</summary>
    public const int Reg = 4;

    /// <summary>Order of a diagonal block in the blocked Cholesky and triangular inverse.</summary>
    public const int CholeskyBlock = 32;

    /// <summary>Row stride of a Cholesky block in shared memory (padding against bank conflicts).</summary>
    public const int CholeskyStride = CholeskyBlock + 1;

    /// <summary>Side of a transpose tile.</summary>
    public const int TransposeTile = 32;
}
