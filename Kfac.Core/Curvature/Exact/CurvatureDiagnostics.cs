using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>How close the block-diagonal and block-tridiagonal K-FAC approximations are to the exact Fisher
/// and to its inverse (relative Frobenius errors), for a small network: the talk's "quality of the
/// approximate Fisher" figure as numbers.</summary>
public sealed record FisherApproximationQuality(
    int ParameterCount,
    double Damping,
    double BlockDiagonalError,
    double BlockTridiagonalError,
    double BlockDiagonalInverseError,
    double BlockTridiagonalInverseError)
{
    /// <summary>The four errors and the size and damping in one line, for logs.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"P = {ParameterCount}, damping gamma^2 = {Damping:G3}: |F_hat - F|/|F|: block-diagonal {BlockDiagonalError:F4}, block-tridiagonal {BlockTridiagonalError:F4}; ") +
        FormattableString.Invariant($"|F_hat^-1 - (F + gamma^2 I)^-1| / |(F + gamma^2 I)^-1|: block-diagonal {BlockDiagonalInverseError:F4}, block-tridiagonal {BlockTridiagonalInverseError:F4}");
}

/// <summary>Compares K-FAC's block-diagonal and block-tridiagonal approximations with the exact Fisher of a small network (see <see cref="FisherApproximationQuality"/>).</summary>
public static class CurvatureDiagnostics
{
    /// <summary>
    /// Builds both approximations from one batch (statistics from <paramref name="estimation"/>, per-factor damping
    /// <paramref name="gamma"/>), forms them and their inverses densely by applying them to unit vectors, and
    /// compares with the exact Fisher F (and (F + gamma^2 I)^-1) on the same batch. The network must be in double
    /// and small (P up to a few hundred): the cost is P applications and P forward-mode passes.
    /// </summary>
    public static FisherApproximationQuality Compare(Func<Tensor, Tensor> forward, IReadOnlyList<Tensor> parameters, ILoss loss, Tensor x,
        double gamma, FisherEstimation estimation = FisherEstimation.Exact, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(forward);
        int p = ExactCurvature.Count(parameters);
        var fisher = ExactCurvature.Fisher(forward, parameters, loss, x);
        var target = (double[])fisher.Clone();
        for (int i = 0; i < p; i++) target[i * p + i] += gamma * gamma;
        var targetInverse = new double[p * p];
        Linalg.Spd.Inverse<double>(target, p, targetInverse);

        using var scope = TensorScope.Begin();
        var recorder = new CurvatureRecorder();
        Tensor z;
        using (recorder.Activate()) z = forward(x);
        FisherTargets.Backpropagate(loss, z, estimation, new Sampling.RandomStream((ulong)seed), recorder, retainGraph: false);
        var captures = recorder.Captures;

        var diagonal = captures.Select(c => (CurvatureBlock)new KroneckerFactoredBlock((DenseTag)c.Tag)).ToList();
        for (int i = 0; i < diagonal.Count; i++) diagonal[i].UpdateStatistics([captures[i]], 0.95);
        var chain = new TridiagonalChain(captures.Select(c => (DenseTag)c.Tag).ToList());
        chain.UpdateStatistics(captures, 0.95);
        foreach (var b in diagonal) b.RefreshInverse(gamma);
        chain.RefreshInverse(gamma);

        var dForward = Dense(diagonal, parameters, 1);
        var dInverse = Dense(diagonal, parameters, -1);
        var tForward = Dense([chain], parameters, 1);
        var tInverse = Dense([chain], parameters, -1);
        return new FisherApproximationQuality(p, gamma * gamma,
            RelativeError(dForward, fisher), RelativeError(tForward, fisher),
            RelativeError(dInverse, targetInverse), RelativeError(tInverse, targetInverse));
    }

    /// <summary>The blocks' damped power as a dense P x P matrix in the flat parameter order.</summary>
    public static double[] Dense(IReadOnlyList<CurvatureBlock> blocks, IReadOnlyList<Tensor> parameters, double power)
    {
        int p = ExactCurvature.Count(parameters);
        var offsets = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        int o = 0;
        foreach (var t in parameters)
        {
            offsets[t] = o;
            o += t.Numel;
        }
        var result = new double[p * p];
        foreach (var block in blocks)
        {
            var ps = block.Parameters;
            var flat = new List<int>();
            foreach (var t in ps)
            {
                if (!offsets.TryGetValue(t, out int start)) throw new ArgumentException($"{block} covers a parameter not in the list", nameof(parameters));
                for (int j = 0; j < t.Numel; j++) flat.Add(start + j);
            }
            int n = flat.Count;
            var unit = new double[n];
            using var scope = TensorScope.Begin();
            var outputs = ps.Select(t => Tensor.Zeros(t.Shape, t.DType, t.Device)).ToArray();
            for (int col = 0; col < n; col++)
            {
                using var inner = TensorScope.Begin();
                unit[col] = 1;
                var v = Split(unit, ps);
                unit[col] = 0;
                block.MultiplyByDampedPower(v, outputs, power);
                var column = ExactCurvature.Flatten(outputs);
                for (int row = 0; row < n; row++) result[flat[row] * p + flat[col]] = column[row];
            }
        }
        return result;
    }

    private static Tensor[] Split(double[] v, IReadOnlyList<Tensor> like) => ExactCurvature.Unflatten(v, like);

    /// <summary>||actual - expected||_F / ||expected||_F over flat arrays of equal length.</summary>
    public static double RelativeError(double[] actual, double[] expected)
    {
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.Sqrt(num / Math.Max(den, double.Epsilon));
    }
}
