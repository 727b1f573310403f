using Kfac.Tensors;

namespace Kfac.Autodiff;

/// <summary>
/// Checks an op's reverse- and forward-mode derivatives against central finite differences, in double.
/// For f: inputs -> y, reverse mode is checked through the scalar L = sum(R * f(x)) with a fixed random R
/// (so every output element contributes), forward mode by comparing f's tangent along a random direction v
/// with (f(x + h v) - f(x - h v)) / 2h, and forward mode replayed over the recorded graph against eager forward
/// mode. Inputs must be Float64 and are restored after perturbation.
/// </summary>
public static class GradCheck
{
    /// <summary>The largest errors found by a check.</summary>
    /// <param name="MaxGradientError">Largest relative error of a reverse-mode gradient entry against central differences.</param>
    /// <param name="MaxJvpError">Largest relative error of a forward-mode tangent (JVP) against central differences or eager forward mode.</param>
    /// <param name="Detail">Human-readable description of where the largest errors occurred.</param>
    public sealed record Result(double MaxGradientError, double MaxJvpError, string Detail)
    {
        /// <summary>True when both the gradient and the JVP errors are at most <paramref name="tolerance"/>.</summary>
        public bool Passed(double tolerance) => MaxGradientError <= tolerance && MaxJvpError <= tolerance;
    }

    /// <summary>Error measure: |analytic - numeric| / max(1, |numeric|) (absolute near 0, relative otherwise).</summary>
    public static Result Run(Func<Tensor[], Tensor> f, Tensor[] inputs, int seed = 1234, double h = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(f);
        foreach (var x in inputs)
            if (x.DType != DType.Float64)
                throw new ArgumentException($"GradCheck needs Float64 inputs; {x.Describe()} is {x.DType}", nameof(inputs));
        var rng = new System.Random(seed);
        using var scope = TensorScope.Begin();

        // Reverse mode: gradient of L = sum(R * f(x)).
        foreach (var x in inputs) { x.Grad = null; x.RequiresGrad = true; }
        var y0 = f(inputs);
        var r = Tensor.RandN(y0.Shape, rng, dtype: DType.Float64);
        var replayDirection = inputs.Select(x => Tensor.RandN(x.Shape, rng, dtype: DType.Float64)).ToArray();
        var replayed = ForwardMode.Replay(y0, inputs, replayDirection).ToArray<double>();
        var loss = (y0 * r).Sum();
        loss.Backward();
        double maxGrad = 0;
        string detail = "";
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            var analytic = x.Grad?.ToArray<double>() ?? new double[x.Numel];
            var data = x.AsSpan<double>();
            for (int i = 0; i < x.Numel; i++)
            {
                double saved = data[i];
                data[i] = saved + h;
                double lp = ProjectedValue(f, inputs, r);
                data[i] = saved - h;
                double lm = ProjectedValue(f, inputs, r);
                data[i] = saved;
                double numeric = (lp - lm) / (2 * h);
                double err = Math.Abs(analytic[i] - numeric) / Math.Max(1, Math.Abs(numeric));
                if (err > maxGrad)
                {
                    maxGrad = err;
                    detail = $"input {k} element {i}: backward {analytic[i]:G8}, finite difference {numeric:G8}";
                }
            }
        }
        foreach (var x in inputs) { x.Grad = null; x.RequiresGrad = false; }

        // Forward mode replayed over the recorded graph must equal eager forward mode along the same direction.
        var eager = ForwardMode.Jvp(() => f(inputs), inputs, replayDirection).Tangent?.ToArray<double>() ?? new double[replayed.Length];
        double maxReplay = 0;
        for (int i = 0; i < eager.Length; i++)
            maxReplay = Math.Max(maxReplay, Math.Abs(replayed[i] - eager[i]) / Math.Max(1, Math.Abs(eager[i])));

        // Forward mode: tangent along random v vs symmetric difference.
        var v = inputs.Select(x => Tensor.RandN(x.Shape, rng, dtype: DType.Float64)).ToArray();
        var y = ForwardMode.Jvp(() => f(inputs), inputs, v);
        var jvp = y.Tangent?.ToArray<double>() ?? new double[y.Numel];
        var plus = Perturbed(f, inputs, v, h);
        var minus = Perturbed(f, inputs, v, -h);
        double maxJvp = 0;
        for (int i = 0; i < jvp.Length; i++)
        {
            double numeric = (plus[i] - minus[i]) / (2 * h);
            double err = Math.Abs(jvp[i] - numeric) / Math.Max(1, Math.Abs(numeric));
            if (err > maxJvp)
            {
                maxJvp = err;
                if (err > maxGrad) detail = $"output element {i}: jvp {jvp[i]:G8}, finite difference {numeric:G8}";
            }
        }
        if (maxReplay > maxJvp)
        {
            maxJvp = maxReplay;
            detail = $"forward mode replayed over the graph differs from eager forward mode by {maxReplay:G3}";
        }
        return new Result(maxGrad, maxJvp, detail);
    }

    private static double ProjectedValue(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor r)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        var y = f(inputs);
        return y.Backend.Dot(y, r);
    }

    private static double[] Perturbed(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor[] v, double h)
    {
        using var noGrad = GradMode.Disable();
        using var scope = TensorScope.Begin();
        var saved = inputs.Select(x => x.ToArray<double>()).ToArray();
        for (int k = 0; k < inputs.Length; k++) inputs[k].Backend.Axpby(h, v[k], 1, inputs[k]);
        var y = f(inputs).ToArray<double>();
        for (int k = 0; k < inputs.Length; k++) inputs[k].CopyFrom<double>(saved[k]);
        return y;
    }
}
