using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>y = f(x) for a UnaryOp code (uniform across the launch, so the switch does not diverge), grid-stride.</summary>
internal static class UnaryKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, int n, int op)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
            y[i] = Apply<T, TReal>(op, x[i]);
    }

    public static T Apply<T, TReal>(int op, T v)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var real = default(TReal);
        return op switch
        {
            OpCodes.Neg => -v,
            OpCodes.Exp => real.Exp(v),
            OpCodes.Log => real.Log(v),
            OpCodes.Tanh => real.Tanh(v),
            OpCodes.Sigmoid => real.Sigmoid(v),
            OpCodes.Relu => v > T.Zero ? v : real.IsNaN(v) ? v : T.Zero,
            OpCodes.Softplus => real.Softplus(v),
            OpCodes.Square => v * v,
            OpCodes.Sqrt => real.Sqrt(v),
            _ => real.FromDouble(double.NaN), // an op without a case: loud, never a silent other function
        };
    }
}
