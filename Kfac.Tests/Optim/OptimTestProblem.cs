using Kfac.Optim;
using Kfac.Tensors;

namespace Kfac.Tests.Optim;

/// <summary>
/// The tiny problem every golden test runs: two parameters (a [2, 2] matrix and a [3] vector, so groups and
/// shapes are exercised) and the gradient of a separable non-quadratic loss,
/// g_i = c_i x_i + b_i + 0.1 x_i^3, computed on the host in double, so the trajectory depends on the
/// optimizer's past updates.
/// </summary>
internal static class OptimTestProblem
{
    public static readonly double[] C = [1.0, 2.0, 0.5, 3.0, 1.5, 0.2, 4.0];
    public static readonly double[] B = [0.1, -0.2, 0.3, 0.0, -0.5, 0.25, 0.05];
    public static readonly double[] Start = [0.5, -1.0, 1.5, 2.0, -0.3, 0.8, 0.0];

    public static double[] Gradient(double[] x)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++) g[i] = C[i] * x[i] + B[i] + 0.1 * x[i] * x[i] * x[i];
        return g;
    }

    /// <summary>The two parameters at <see cref="Start"/>, or at <paramref name="values"/>.</summary>
    public static Tensor[] Parameters(DType dtype, double[]? values = null)
    {
        var v = values ?? Start;
        var p0 = Tensor.FromDoubles(v.AsSpan(0, 4), new Shape(2, 2), dtype);
        var p1 = Tensor.FromDoubles(v.AsSpan(4, 3), new Shape(3), dtype);
        p0.RequiresGrad = true;
        p1.RequiresGrad = true;
        p0.Name = "w";
        p1.Name = "b";
        return [p0, p1];
    }

    public static double[] Values(Tensor[] ps)
    {
        var all = new List<double>();
        foreach (var p in ps) all.AddRange(p.ToDoubleArray());
        return [.. all];
    }

    /// <summary>Writes the gradient at the parameters' current values into their Grad tensors.</summary>
    public static void SetGradients(Tensor[] ps)
    {
        var g = Gradient(Values(ps));
        int offset = 0;
        foreach (var p in ps)
        {
            SetGrad(p, g.AsSpan(offset, p.Numel));
            offset += p.Numel;
        }
    }

    public static void SetGrad(Tensor p, ReadOnlySpan<double> g)
    {
        if (p.Grad is null)
            using (TensorScope.Suspend()) p.Grad = Tensor.Zeros(p.Shape, p.DType, p.Device);
        if (p.DType == DType.Float64) p.Grad.CopyFrom(g);
        else
        {
            var f = new float[g.Length];
            for (int i = 0; i < f.Length; i++) f[i] = (float)g[i];
            p.Grad.CopyFrom<float>(f);
        }
    }

    /// <summary>Runs <paramref name="steps"/> steps (gradient at the current point, then Step) and returns
    /// the parameter values after each step.</summary>
    public static List<double[]> Run(Optimizer optimizer, Tensor[] ps, int steps)
    {
        var trajectory = new List<double[]>();
        for (int k = 0; k < steps; k++)
        {
            SetGradients(ps);
            optimizer.Step();
            trajectory.Add(Values(ps));
        }
        return trajectory;
    }
}
