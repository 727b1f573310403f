using Kfac.Autodiff;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// Dense curvature matrices of small networks, the oracle for every approximation in this library and an
/// option for users studying small problems (the talk's "three optimization algorithms"). The parameter
/// vector theta concatenates the parameters in list order, each flattened row-major (PyTorch's
/// parameters_to_vector). Everything is computed in double: convert the network with Module.To(Float64).
/// <list type="bullet">
/// <item>GGN G = (1/m) sum_i J_i^T H_L(z_i) J_i, with J_i = dz_i/dtheta from forward mode (one JVP per
/// parameter) and H_L the loss's Hessian in z (its output-Fisher product).</item>
/// <item>Fisher F = (1/m) sum_i E_{y ~ p(y|z_i)}[s s^T], s = J_i^T grad_z(-log p(y|z_i)): the expectation is
/// taken exactly, by enumerating the outcomes (categorical; Bernoulli up to 12 outputs) or in closed form
/// (Gaussian), independently of H_L, so F == G is a checked fact rather than an assumption.</item>
/// <item>Hessian H of the mean loss: a fourth-order central difference of the exact gradient.</item>
/// </list>
/// </summary>
public static class ExactCurvature
{
    /// <summary>Total number of parameters P.</summary>
    public static int Count(IReadOnlyList<Tensor> parameters) => parameters.Sum(p => p.Numel);

    /// <summary>theta as one vector.</summary>
    public static double[] Flatten(IReadOnlyList<Tensor> tensors)
    {
        var v = new double[Count(tensors)];
        int o = 0;
        foreach (var t in tensors)
        {
            t.ToDoubleArray().CopyTo(v, o);
            o += t.Numel;
        }
        return v;
    }

    /// <summary>Writes a flat vector into tensors shaped like <paramref name="like"/> (new tensors).</summary>
    public static Tensor[] Unflatten(ReadOnlySpan<double> v, IReadOnlyList<Tensor> like)
    {
        var result = new Tensor[like.Count];
        int o = 0;
        for (int i = 0; i < like.Count; i++)
        {
            result[i] = Tensor.FromDoubles(v.Slice(o, like[i].Numel), like[i].Shape, like[i].DType, like[i].Device);
            o += like[i].Numel;
        }
        return result;
    }

    private static void CheckDouble(IReadOnlyList<Tensor> parameters)
    {
        foreach (var p in parameters)
            if (p.DType != DType.Float64)
                throw new ArgumentException($"exact curvature is computed in double; parameter {p.Name} is {p.DType} (use Module.To(DType.Float64))", nameof(parameters));
    }

    /// <summary>The network outputs z [m, k] and the Jacobian J[(i, c), j] = dz_ic / dtheta_j as an (m k) x P
    /// row-major array, by one forward-mode pass per parameter coordinate.</summary>
    public static (double[] Output, double[] Jacobian, int Outputs) Jacobian(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, Tensor x)
    {
        CheckDouble(parameters);
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.Disable();
        int p = Count(parameters);
        var z = forward(x);
        int rows = z.Numel;
        var jac = new double[rows * p];
        var unit = new double[p];
        for (int j = 0; j < p; j++)
        {
            using var inner = TensorScope.Begin();
            unit[j] = 1;
            var tangents = Unflatten(unit, parameters);
            unit[j] = 0;
            var y = ForwardMode.Jvp(() => forward(x), parameters, tangents);
            var col = y.Tangent?.ToArray<double>() ?? new double[rows];
            for (int r = 0; r < rows; r++) jac[r * p + j] = col[r];
        }
        return (z.ToArray<double>(), jac, z.Shape[^1]);
    }

    /// <summary>Gradient of the mean loss with respect to theta (reverse mode).</summary>
    public static double[] Gradient(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, ILoss loss, Tensor x, Tensor targets)
    {
        CheckDouble(parameters);
        using var scope = TensorScope.Begin();
        foreach (var q in parameters) q.Grad = null;
        loss.Value(forward(x), targets).Backward();
        var g = new double[Count(parameters)];
        int o = 0;
        foreach (var q in parameters)
        {
            (q.Grad?.ToArray<double>() ?? new double[q.Numel]).CopyTo(g, o);
            o += q.Numel;
            q.Grad = null;
        }
        return g;
    }

    /// <summary>The generalised Gauss-Newton matrix (P x P, row-major).</summary>
    public static double[] GaussNewton(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, ILoss loss, Tensor x)
    {
        var (z, jac, k) = Jacobian(forward, parameters, x);
        int m = z.Length / k;
        return Sandwich(jac, m, k, Count(parameters), i => OutputHessian(loss, z, i, k));
    }

    /// <summary>The Fisher information (P x P), with the expectation over y ~ p(y|z) taken exactly.</summary>
    public static double[] Fisher(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, ILoss loss, Tensor x)
    {
        var (z, jac, k) = Jacobian(forward, parameters, x);
        int m = z.Length / k;
        return Sandwich(jac, m, k, Count(parameters), i => OutputFisherByExpectation(loss, z.AsSpan(i * k, k).ToArray()));
    }

    /// <summary>(1/m) sum_i J_i^T M_i J_i, computed as (1/m) B^T B with B_i = L_i^T J_i, M_i = L_i L_i^T (a symmetric
    /// square root from M_i's eigendecomposition; M_i is PSD for every curvature here), so the cost is one GEMM.</summary>
    private static double[] Sandwich(double[] jac, int m, int k, int p, Func<int, double[]> middle)
    {
        var b = new double[m * k * p];
        var values = new double[k];
        var vectors = new double[k * k];
        for (int i = 0; i < m; i++)
        {
            var mi = middle(i);
            Linalg.SymmetricEigen.Decompose(mi, k, values, vectors);
            // L = V diag(sqrt(max(w, 0))); B_i = L^T J_i (k x p)
            var lt = new double[k * k];
            for (int r = 0; r < k; r++)
            {
                double s = Math.Sqrt(Math.Max(values[r], 0));
                for (int c = 0; c < k; c++) lt[r * k + c] = s * vectors[c * k + r];
            }
            Cpu.Gemm.Dgemm(false, false, k, p, k, 1, lt, k, jac.AsSpan(i * k * p, k * p), p, 0, b.AsSpan(i * k * p, k * p), p);
        }
        var result = new double[p * p];
        Cpu.Gemm.Dgemm(true, false, p, p, m * k, 1.0 / m, b, p, b, p, 0, result, p);
        HostMatrix.Symmetrize(result, p);
        return result;
    }

    /// <summary>H_L(z_i) as k x k, from the loss's output-Fisher products with unit vectors.</summary>
    private static double[] OutputHessian(ILoss loss, double[] z, int i, int k)
    {
        using var scope = TensorScope.Begin();
        var zi = Tensor.FromArray(z.AsSpan(i * k, k), new Shape(1, k));
        var h = new double[k * k];
        for (int c = 0; c < k; c++)
        {
            var e = new double[k];
            e[c] = 1;
            var col = loss.FisherProduct(zi, Tensor.FromArray<double>(e, new Shape(1, k))).ToArray<double>();
            for (int r = 0; r < k; r++) h[r * k + c] = col[r];
        }
        return h;
    }

    /// <summary>E_{y ~ p(y|z)}[s s^T] with s = grad_z(-log p(y|z)), computed from the distribution itself.</summary>
    public static double[] OutputFisherByExpectation(ILoss loss, double[] z)
    {
        int k = z.Length;
        var f = new double[k * k];
        switch (loss)
        {
            case SoftmaxCrossEntropy:
                {
                    // y = e_c with probability p_c; s = p - e_c.
                    double max = z.Max();
                    var p = z.Select(v => Math.Exp(v - max)).ToArray();
                    double sum = p.Sum();
                    for (int c = 0; c < k; c++) p[c] /= sum;
                    for (int c = 0; c < k; c++)
                        for (int a = 0; a < k; a++)
                            for (int b = 0; b < k; b++)
                                f[a * k + b] += p[c] * (p[a] - (a == c ? 1 : 0)) * (p[b] - (b == c ? 1 : 0));
                    break;
                }
            case SigmoidCrossEntropy:
                {
                    if (k > 12) throw new NotSupportedException($"exact Bernoulli Fisher enumerates 2^k outcomes; k = {k} is too many");
                    var p = z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
                    for (int outcome = 0; outcome < 1 << k; outcome++)
                    {
                        double prob = 1;
                        var s = new double[k];
                        for (int j = 0; j < k; j++)
                        {
                            int y = (outcome >> j) & 1;
                            prob *= y == 1 ? p[j] : 1 - p[j];
                            s[j] = p[j] - y;
                        }
                        for (int a = 0; a < k; a++)
                            for (int b = 0; b < k; b++) f[a * k + b] += prob * s[a] * s[b];
                    }
                    break;
                }
            case SquaredError se:
                // s = (z - y) / sigma^2 with y - z ~ N(0, sigma^2 I): E[s s^T] = I / sigma^2.
                for (int a = 0; a < k; a++) f[a * k + a] = 1 / se.Variance;
                break;
            default:
                throw new NotSupportedException($"no exact output Fisher for {loss.Name}");
        }
        return f;
    }

    /// <summary>Hessian of the mean loss (P x P): fourth-order central differences of the exact gradient,
    /// symmetrised. Accurate to about 1e-9 relative for smooth losses with the default step.</summary>
    public static double[] Hessian(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, ILoss loss, Tensor x, Tensor targets, double h = 1e-3)
    {
        CheckDouble(parameters);
        int p = Count(parameters);
        var hess = new double[p * p];
        for (int j = 0; j < p; j++)
        {
            var g = new double[4][];
            double[] steps = [2 * h, h, -h, -2 * h];
            ref double coordinate = ref Coordinate(parameters, j);
            double original = coordinate;
            for (int s = 0; s < 4; s++)
            {
                coordinate = original + steps[s];
                g[s] = Gradient(forward, parameters, loss, x, targets);
            }
            coordinate = original;
            for (int r = 0; r < p; r++) hess[r * p + j] = (-g[0][r] + 8 * g[1][r] - 8 * g[2][r] + g[3][r]) / (12 * h);
        }
        HostMatrix.Symmetrize(hess, p);
        return hess;
    }

    private static ref double Coordinate(IReadOnlyList<Tensor> parameters, int index)
    {
        foreach (var q in parameters)
        {
            if (index < q.Numel) return ref q.AsSpan<double>()[index];
            index -= q.Numel;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }
}
