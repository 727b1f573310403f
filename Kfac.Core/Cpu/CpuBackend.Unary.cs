using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

internal sealed partial class CpuBackend
{
    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        Defined(op, nameof(op));
        if (IsDouble(x)) ParallelUnary<double>(op, S<double>(x), S<double>(y));
        else ParallelUnary<float>(op, S<float>(x), S<float>(y));
    }

    private static void Unary<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Tanh: Tanh(x, y); break;
            case UnaryOp.Sigmoid: Sigmoid(x, y); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Softplus:
                {
                    // softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|. max(x, 0) is taken first
                    // (y may be x itself) and exp(-|x|) goes to scratch, so log1p reads and writes different spans (in
                    // place it would copy its arguments first).
                    var positivePart = Scratch<T>.Second(x.Length);
                    var e = Scratch<T>.First(x.Length);
                    TensorPrimitives.Max(x, T.Zero, positivePart);
                    TensorPrimitives.Abs(x, e);
                    TensorPrimitives.Negate(e, e);
                    TensorPrimitives.Exp(e, e);
                    SmallArgumentSeries.LogP1(e, y);
                    TensorPrimitives.Add(y, positivePart, y);
                    break;
                }
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>y = tanh(x): on the AVX2 path in float (<see cref="FloatTanh256"/>), else TensorPrimitives' with its
    /// small arguments replaced by their series (<see cref="SmallArgumentSeries.Tanh"/>).</summary>
    private static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && FloatTanh256.Preferred)
            FloatTanh256.Tanh(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else
        {
            TensorPrimitives.Tanh(x, y);
            SmallArgumentSeries.Tanh(x, y);
        }
    }

    /// <summary>y = 1 / (1 + e^-x): on the AVX2 path in float (<see cref="FloatSigmoid256"/>), else TensorPrimitives'.</summary>
    private static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && FloatSigmoid256.Preferred)
            FloatSigmoid256.Sigmoid(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else TensorPrimitives.Sigmoid(x, y);
    }

    public void UnaryDerivativeProduct(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, bool accumulate)
    {
        Defined(op, nameof(op));
        if (IsDouble(x)) ParallelDerivative<double>(op, S<double>(x), S<double>(y), S<double>(dy), S<double>(dx), accumulate);
        else ParallelDerivative<float>(op, S<float>(x), S<float>(y), S<float>(dy), S<float>(dx), accumulate);
    }

    private static void UnaryDerivativeProduct<T>(UnaryOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (op == UnaryOp.Sigmoid) { FusedDerivatives.Sigmoid(y, dy, dx, accumulate); return; }
        if (op == UnaryOp.Tanh) { FusedDerivatives.Tanh(y, dy, dx, accumulate); return; }
        // Without accumulation the product is formed in dx directly; with it, in scratch and then added.
        Span<T> t = accumulate ? Scratch<T>.Second(x.Length) : dx;
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(dy, t); break;
            case UnaryOp.Exp: TensorPrimitives.Multiply(dy, y, t); break;                // d exp = exp
            case UnaryOp.Log: TensorPrimitives.Divide(dy, x, t); break;                  // d log = 1/x
            case UnaryOp.Tanh:                                                            // d tanh = 1 - y^2
                TensorPrimitives.Multiply(y, y, t);
                TensorPrimitives.Subtract(T.One, t, t);
                TensorPrimitives.Multiply(t, dy, t);
                break;
            case UnaryOp.Sigmoid:                                                         // d sigma = y (1 - y)
                TensorPrimitives.Subtract(T.One, y, t);
                TensorPrimitives.Multiply(t, y, t);
                TensorPrimitives.Multiply(t, dy, t);
                break;
            case UnaryOp.Relu: ReluMask(x, dy, t); break;                                // d relu = [x > 0]
            case UnaryOp.Softplus:                                                        // d softplus = sigmoid(x)
                TensorPrimitives.Sigmoid(x, t);
                TensorPrimitives.Multiply(t, dy, t);
                break;
            case UnaryOp.Square:                                                          // d x^2 = 2x
                TensorPrimitives.Multiply(x, dy, t);
                TensorPrimitives.Multiply(t, T.CreateTruncating(2), t);
                break;
            case UnaryOp.Sqrt:                                                            // d sqrt = 1 / (2 y)
                TensorPrimitives.Divide(dy, y, t);
                TensorPrimitives.Multiply(t, T.CreateTruncating(0.5), t);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
        if (accumulate) TensorPrimitives.Add(dx, t, dx);
    }

    /// <summary>t = dy where x > 0, else 0 (the subgradient 0 at x = 0, as PyTorch).</summary>
    private static void ReluMask<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var vx = Vector512.Create(x.Slice(i, Vector512<T>.Count));
                var vd = Vector512.Create(dy.Slice(i, Vector512<T>.Count));
                Vector512.ConditionalSelect(Vector512.GreaterThan(vx, Vector512<T>.Zero), vd, Vector512<T>.Zero).CopyTo(t[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= x.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var vx = Vector256.Create(x.Slice(i, Vector256<T>.Count));
                var vd = Vector256.Create(dy.Slice(i, Vector256<T>.Count));
                Vector256.ConditionalSelect(Vector256.GreaterThan(vx, Vector256<T>.Zero), vd, Vector256<T>.Zero).CopyTo(t[i..]);
            }
        }
        for (; i < x.Length; i++) t[i] = x[i] > T.Zero ? dy[i] : T.Zero;
    }

    /// <summary>Refuses an op code outside its enum (a cast integer) on the calling thread, before any worker runs:
    /// the kernels' switches have no silent catch-all.</summary>
    private static void Defined<TEnum>(TEnum value, string argument) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(argument, value, $"not a {typeof(TEnum).Name} ({string.Join(", ", Enum.GetNames<TEnum>())})");
    }
}
