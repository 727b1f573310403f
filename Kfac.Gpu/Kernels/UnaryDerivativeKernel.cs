using System.Numerics;
using ILGPU;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Kernels;

/// <summary>dx (+)= dy f'(x), with f' taken from x or from y = f(x) as the CPU backend does (exp: y; tanh: 1 - y^2;
/// sigmoid: y (1 - y); relu: [x &gt; 0]; softplus: sigmoid(x); square: 2x; sqrt: 1 / (2y); log: 1/x). Grid-stride.</summary>
internal static class UnaryDerivativeKernel
{
    public static void Run<T, TReal>(ArrayView<T> x, ArrayView<T> y, ArrayView<T> dy, ArrayView<T> dx, int n, int op, int accumulate)
        where T : unmanaged, INumber<T>
        where TReal : struct, IReal<T>
    {
        var real = default(TReal);
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            T g = dy[i];
            T d = op switch
            {
                OpCodes.Neg => -g,
                OpCodes.Exp => g * y[i],
                OpCodes.Log => g / x[i],
                OpCodes.Tanh => (T.One - y[i] * y[i]) * g,
                OpCodes.Sigmoid => (T.One - y[i]) * y[i] * g,
                OpCodes.Relu => x[i] > T.Zero ? g : T.Zero,
                OpCodes.Softplus => real.Sigmoid(x[i]) * g,
                OpCodes.Square => x[i] * g * (T.One + T.One),
                OpCodes.Sqrt => g / y[i] * real.FromDouble(0.5),
                _ => real.FromDouble(double.NaN), // an op without a case: loud, never a silent other derivative
            };
            dx[i] = accumulate != 0 ? dx[i] + d : d;
        }
    }
}
