namespace Kfac.Cpu;

/// <summary>Per-thread scratch buffers for the CPU kernels (grown on demand, never shrunk), so fused
/// elementwise sequences need no per-call allocation.</summary>
internal static class Scratch<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? _first;
    [ThreadStatic] private static T[]? _second;
    [ThreadStatic] private static T[]? _convolutionPiece;

    public static Span<T> First(int length) => Get(ref _first, length);

    public static Span<T> Second(int length) => Get(ref _second, length);

    /// <summary>The convolution input gradient's piece of W^T dY (CpuBackend.ConvolutionInputGradient.cs; pinned, as the
    /// col2im loops hold raw pointers).</summary>
    public static Span<T> ConvolutionPiece(int length) => Get(ref _convolutionPiece, length);

    private static Span<T> Get(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
            buffer = GC.AllocateUninitializedArray<T>(Math.Max(length, 1024), pinned: true);
        return buffer.AsSpan(0, length);
    }
}
