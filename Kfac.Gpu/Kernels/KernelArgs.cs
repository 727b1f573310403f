namespace Kfac.Gpu.Kernels;

// Scalar kernel arguments grouped into small unmanaged structs: ILGPU passes them by value in the kernel
// parameter block, and grouping keeps every kernel under the loader's parameter limit. Flags are ints
// (0/1) rather than bools so the parameter layout is the same on every backend.

/// <summary>C (offset, ldc) = alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n; A, B, C row-major with
/// leading dimensions lda, ldb, ldc and element offsets (so the blocked Cholesky can address sub-matrices).</summary>
internal struct GemmArgs
{
    public int M, N, K;
    public int AOffset, Lda, TransA;
    public int BOffset, Ldb, TransB;
    public int COffset, Ldc;
}

/// <summary>C (order n) = beta C + alpha P^T P with P k x n, P[p, i] = X[offset + p * ldx + i], or
/// X[offset + i * ldx + p] when Transposed (then P^T P = X X^T). Lower triangle computed; Mirror copies it up.</summary>
internal struct SyrkArgs
{
    public int N, K;
    public int XOffset, Ldx, Transposed;
    public int COffset, Ldc, Mirror;
}

/// <summary>A rows x cols block: element (r, c) is at offset + r * stride + c.</summary>
internal struct BlockArgs
{
    public int Rows, Cols;
    public int SrcOffset, SrcStride;
    public int DstOffset, DstStride;
}

/// <summary>A binary op over [outer, mid, inner] (see Kfac.Tensors.BroadcastLayout).</summary>
internal struct BinaryArgs
{
    public int Op, Outer, Mid, Inner, Side, Accumulate;
}

/// <summary>x viewed as [outer, dim, inner] (reductions and their adjoint).</summary>
internal struct AxisArgs
{
    public int Outer, Dim, Inner, Accumulate;
}

/// <summary>Op codes shared by host and kernels (the values of Kfac.Tensors.UnaryOp / BinaryOp / BroadcastSide).</summary>
internal static class OpCodes
{
    public const int SideNone = 0, SideLeft = 1, SideRight = 2;
    public const int Add = 0, Sub = 1, Mul = 2, Div = 3;
    public const int Neg = 0, Exp = 1, Log = 2, Tanh = 3, Sigmoid = 4, Relu = 5, Softplus = 6, Square = 7, Sqrt = 8;
}

/// <summary>A sliding window over NCHW images (Kfac.Tensors.WindowGeometry with its output size precomputed):
/// input [Batch, Channels, Height, Width], kernel KernelH x KernelW, strides, zero padding, OutHeight x OutWidth
/// window positions.</summary>
internal struct WindowArgs
{
    public int Batch, Channels, Height, Width;
    public int KernelH, KernelW, StrideH, StrideW, PadH, PadW;
    public int OutHeight, OutWidth;
}

/// <summary>x viewed as [Outer, A, B, Inner] and y as [Outer, B, A, Inner] (SwapMiddleAxes).</summary>
internal struct SwapArgs
{
    public int Outer, A, B, Inner;
}
