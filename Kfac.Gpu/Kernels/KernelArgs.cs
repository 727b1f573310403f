using Kfac.Tensors;

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

/// <summary>Op codes shared by host and kernels. Kernels switch on ints (ILGPU kernels take unmanaged scalars), so each
/// code is the value of its Kfac.Tensors enum member, derived here and nowhere else: adding an enum member without a
/// kernel case makes the kernel produce NaN (every switch's default), and the host refuses undefined values before
/// launching (<see cref="Check{TEnum}"/>).</summary>
internal static class OpCodes
{
    public const int SideNone = (int)BroadcastSide.None, SideLeft = (int)BroadcastSide.Left, SideRight = (int)BroadcastSide.Right;

    public const int Add = (int)BinaryOp.Add, Sub = (int)BinaryOp.Sub, Mul = (int)BinaryOp.Mul, Div = (int)BinaryOp.Div;

    public const int Neg = (int)UnaryOp.Neg, Exp = (int)UnaryOp.Exp, Log = (int)UnaryOp.Log, Tanh = (int)UnaryOp.Tanh,
        Sigmoid = (int)UnaryOp.Sigmoid, Relu = (int)UnaryOp.Relu, Softplus = (int)UnaryOp.Softplus, Square = (int)UnaryOp.Square,
        Sqrt = (int)UnaryOp.Sqrt;

    /// <summary>The code of <paramref name="value"/>, or an exception naming <paramref name="argument"/> when the value is
    /// not a member of its enum (a cast integer): kernels have no way to report one.</summary>
    public static int Check<TEnum>(TEnum value, string argument) where TEnum : struct, Enum =>
        Enum.IsDefined(value)
            ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(argument, value, $"not a {typeof(TEnum).Name} the GPU kernels implement ({string.Join(", ", Enum.GetNames<TEnum>())})");
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
