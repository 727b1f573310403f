using Kfac.Optim.Kfac;

namespace Kfac.Tests.Optim.Reference;

/// <summary>
/// An independent dense double-precision K-FAC iteration (Martens & Grosse 2015) for <see cref="RefMlp"/>, written
/// from MATH.md and docs/kfac.md with none of the library's autodiff, curvature blocks or linear algebra. Only the
/// option VALUES are read from a <see cref="KfacOptions"/>; every rule is restated here. One step k (from 1):
/// <list type="number">
/// <item>forward pass on the batch, h = loss + eta/2 |theta|^2, grad h = grad loss + eta theta;</item>
/// <item>statistics (every step): A, G and the cross-layer A_{l,l+1}, G_{l,l+1} of this batch (exact Fisher,
///   <see cref="RefMlp.ExactStatistics"/>) into an EMA with eps = min(1 - 1/k, Decay);</item>
/// <item>at k = 1 and every T3 steps (k - 1 = 0 mod T3), unless a gamma trial is due: gamma = sqrt(lambda + eta)
///   (gamma tied to lambda) and the damped inverse is rebuilt; with the section-6.6 search, at k - 1 = 0 mod T2
///   (k > 1) each of gamma in {omega2 gamma, gamma / omega2, gamma} (omega2 = sqrt(19/20)^T2) gets a rebuilt
///   inverse, its direction and its (alpha, mu); the lowest M(delta) wins (the first on ties) and keeps its inverse;</item>
/// <item>the damped inverse: factored Tikhonov per layer, Ad = A + pi gamma I, Gd = G + gamma / pi I,
///   pi = sqrt((tr A / dim A) / (tr G / dim G)); block-diagonal: (Ad (x) Gd)^-1 per layer as a dense matrix;
///   block-tridiagonal (section 4.3, appendix B): F_ll = Ad (x) Gd, F_{l,l+1} = A_{l,l+1} (x) G_{l,l+1},
///   Psi_l = F_{l,l+1} F_{l+1,l+1}^-1, Sigma_l = F_ll - Psi_l F_{l+1,l+1} Psi_l^T, Sigma_L = F_LL, and
///   F_hat^-1 = Xi^T blockdiag(Sigma^-1) Xi with Xi = I - superdiag(Psi), all as dense matrices;</item>
/// <item>Delta = -F_hat^-1 grad h; (alpha, mu) minimise M(alpha Delta + mu delta0) = 1/2 delta^T (F + c I) delta
///   + grad h^T delta, c = lambda + eta, F the exact mini-batch Fisher (forward-mode J v), by the 2x2 solve; mu = 0
///   on the first step; when |mu| exceeds MomentumLimit, mu = that limit with mu's sign and alpha the best for it,
///   alpha = -(grad^T Delta + mu K01) / K00 (the minimiser over the band |mu| &lt;= limit of the convex model);</item>
/// <item>theta += delta; every T1 steps rho = (h(theta + delta) - h(theta)) / M(delta) on the same batch and
///   lambda *= omega1 (rho > 3/4) or /= omega1 (rho &lt; 1/4 or NaN), omega1 = (19/20)^T1, clamped.</item>
/// </list>
/// Of the guards it models the one that fires on small problems with small lambda: a predicted decrease larger than
/// h can fall rejects the step (lambda raised, gamma following, momentum cleared, the step repeated). Where another
/// guard would fire (h grown past LossGrowthLimit, a degenerate 2x2 system) it throws, so the comparison stops there.
/// </summary>
internal sealed class RefKfac
{
    private readonly RefMlp _net;
    private readonly KfacOptions _o;
    private readonly bool _tridiagonal;
    private readonly int[] _offsets; // start of each layer's column-stacked vec in the full parameter vector
    private readonly double[][,] _a, _g, _aCross, _gCross;
    private int _statisticsCount;
    private double[,]? _inverse;
    private double[] _previous;

    public RefKfac(RefMlp net, double[][,] weights, KfacOptions options)
    {
        _net = net;
        _o = options;
        _tridiagonal = options.Structure == CurvatureStructure.BlockTridiagonal;
        if (options.GammaRule == GammaRule.Fixed || options.StepSize != StepSizeRule.QuadraticModel || options.Estimation != Kfac.Curvature.FisherEstimation.Exact
            || options.RhoEvaluation != RhoEvaluation.SameBatch || options.StatisticsInterval != 1 || !options.UseMomentum || !options.AdaptLambda
            || options.StatisticsFraction != 1 || options.QuadraticModelFraction != 1 || options.Damping != Kfac.Curvature.DampingStyle.FactoredTikhonov)
            throw new ArgumentException("the reference implements: exact Fisher statistics every step on the whole batch, factored Tikhonov, "
                + "the quadratic model with momentum on the whole batch, same-batch rho, gamma tied or searched", nameof(options));
        Weights = weights.Select(w => (double[,])w.Clone()).ToArray();
        int layers = net.Layers;
        _offsets = new int[layers + 1];
        for (int l = 0; l < layers; l++) _offsets[l + 1] = _offsets[l] + net.Out(l) * net.DIn(l);
        _a = Enumerable.Range(0, layers).Select(l => new double[net.DIn(l), net.DIn(l)]).ToArray();
        _g = Enumerable.Range(0, layers).Select(l => new double[net.Out(l), net.Out(l)]).ToArray();
        _aCross = Enumerable.Range(0, layers - 1).Select(l => new double[net.DIn(l), net.DIn(l + 1)]).ToArray();
        _gCross = Enumerable.Range(0, layers - 1).Select(l => new double[net.Out(l), net.Out(l + 1)]).ToArray();
        _previous = new double[_offsets[layers]];
        Lambda = options.InitialLambda;
        Gamma = options.InitialGamma ?? Math.Sqrt(options.InitialLambda + options.L2);
    }

    /// <summary>Each layer's [W | b], out x (in + 1).</summary>
    public double[][,] Weights { get; private set; }

    public double Lambda { get; private set; }

    public double Gamma { get; private set; }

    public int Iteration { get; private set; }

    public long Rejections { get; private set; }

    /// <summary>Implausible steps shortened (<see cref="ImplausibleStepRule.Shrink"/>).</summary>
    public long Shrunk { get; private set; }

    public IReadOnlyList<double[,]> InputFactors => _a;

    public IReadOnlyList<double[,]> OutputFactors => _g;

    public IReadOnlyList<double[,]> InputCrossFactors => _aCross;

    public IReadOnlyList<double[,]> OutputCrossFactors => _gCross;

    public double Omega1 => Math.Pow(_o.LambdaDecay, _o.LambdaInterval); // (19/20)^T1 by default

    public double Omega2 => Math.Pow(Math.Sqrt(19.0 / 20.0), _o.GammaInterval);

    /// <summary>What one step did and chose.</summary>
    public sealed record StepRecord(int K, double Loss, double Objective, double Alpha, double Mu, double ModelValue, double Rho,
        double Lambda, double Gamma, bool Refreshed, bool GammaTrial, bool Rejected = false);

    public StepRecord Step(double[][] x, double[][] t)
    {
        int k = Iteration + 1;
        double eta = _o.L2;
        var pass = _net.Forward(Weights, x);
        double loss = RefMlp.Loss(pass, t);

        // Statistics at the current weights, EMA eps = min(1 - 1/k, Decay) over the statistics updates (from 1).
        var (a, g, ac, gc) = _net.ExactStatistics(Weights, pass);
        _statisticsCount++;
        double eps = Math.Min(1 - 1.0 / _statisticsCount, _o.Decay);
        for (int l = 0; l < _net.Layers; l++)
        {
            RefLinalg.Ema(_a[l], a[l], eps);
            RefLinalg.Ema(_g[l], g[l], eps);
        }
        for (int l = 0; l + 1 < _net.Layers; l++)
        {
            RefLinalg.Ema(_aCross[l], ac[l], eps);
            RefLinalg.Ema(_gCross[l], gc[l], eps);
        }

        var theta = ToVec(Weights);
        var gradient = ToVec(_net.Gradient(Weights, pass, t));
        for (int i = 0; i < theta.Length; i++) gradient[i] += eta * theta[i];
        double squaredNorm = RefLinalg.Dot(theta, theta);
        double objective = loss + 0.5 * eta * squaredNorm;

        bool refresh = k == 1 || (k - 1) % _o.InverseInterval == 0;
        bool gammaTrial = _o.GammaRule == GammaRule.Search && k > 1 && (k - 1) % _o.GammaInterval == 0;
        (double Alpha, double Mu, double Value) solution;
        double[] direction;
        // delta0 enters the model once there is one (k > 1) and it is not zero (a rejection clears it).
        bool hasPrevious = k > 1 && _previous.Any(v => v != 0);
        double[][]? jPrevious = hasPrevious ? _net.JacobianVectorProducts(Weights, pass, FromVec(_previous)) : null;
        if (gammaTrial)
        {
            double w = Omega2;
            double[] candidates = [Math.Clamp(Gamma * w, _o.MinGamma, _o.MaxGamma), Math.Clamp(Gamma / w, _o.MinGamma, _o.MaxGamma), Gamma];
            (double Alpha, double Mu, double Value) best = (0, 0, double.PositiveInfinity);
            double[]? bestDirection = null;
            double[,]? bestInverse = null;
            double bestGamma = Gamma;
            foreach (double candidate in candidates)
            {
                var inverse = DampedInverse(candidate);
                var d = Direction(inverse, gradient);
                var s = SolveQuadraticModel(pass, d, gradient, jPrevious);
                if (s.Value < best.Value)
                {
                    (best, bestDirection, bestInverse, bestGamma) = (s, d, inverse, candidate);
                }
            }
            (solution, direction, _inverse, Gamma) = (best, bestDirection!, bestInverse!, bestGamma);
        }
        else
        {
            if (refresh)
            {
                if (_o.GammaRule == GammaRule.TiedToLambda) Gamma = Math.Clamp(Math.Sqrt(Lambda + eta), _o.MinGamma, _o.MaxGamma);
                _inverse = DampedInverse(Gamma);
            }
            direction = Direction(_inverse!, gradient);
            solution = SolveQuadraticModel(pass, direction, gradient, jPrevious);
        }
        // Guard (docs/kfac.md, Guards): a predicted decrease beyond what h can fall (h >= 0 for cross entropy).
        // Shrink (the default): the step is shortened along its ray, delta(s) = s (alpha Delta + mu delta0), to where the
        // model predicts the fraction f of the headroom: M(s) = M (2s - s^2) = -f h gives s = 1 - sqrt(1 - r),
        // r = f h / -M, and lambda rises by one LM increase (lambda / omega1) before this step's own LM adjustment.
        // Reject: nothing moves: lambda *= RejectionLambdaFactor, gamma follows (tied: sqrt(lambda + eta);
        // search: gamma / omega2), the momentum is cleared, the inverses are rebuilt at the new gamma, and the step
        // is not counted (the next one runs the same k; the statistics stay updated).
        if (-solution.Value > objective && _o.ImplausibleStep == ImplausibleStepRule.Shrink)
        {
            double r = _o.PlausibleDecreaseFraction * objective / -solution.Value;
            double along = 1 - Math.Sqrt(1 - r);
            solution = (along * solution.Alpha, along * solution.Mu, solution.Value * (2 * along - along * along));
            Shrunk++;
            Lambda = Math.Clamp(Lambda / Omega1, _o.MinLambda, _o.MaxLambda);
        }
        if (-solution.Value > objective)
        {
            Rejections++;
            Lambda = Math.Clamp(Lambda * _o.RejectionLambdaFactor, _o.MinLambda, _o.MaxLambda);
            Gamma = _o.GammaRule == GammaRule.TiedToLambda
                ? Math.Clamp(Math.Sqrt(Lambda + eta), _o.MinGamma, _o.MaxGamma)
                : Math.Clamp(Gamma / Omega2, _o.MinGamma, _o.MaxGamma);
            Array.Clear(_previous);
            _inverse = DampedInverse(Gamma);
            return new StepRecord(k, loss, objective, 0, 0, double.NaN, double.NaN, Lambda, Gamma, refresh && !gammaTrial, gammaTrial, Rejected: true);
        }

        var delta = new double[theta.Length];
        for (int i = 0; i < delta.Length; i++) delta[i] = solution.Alpha * direction[i] + solution.Mu * _previous[i];
        for (int i = 0; i < theta.Length; i++) theta[i] += delta[i];
        Weights = FromVec(theta);
        _previous = delta;

        double rho = double.NaN;
        if (k % _o.LambdaInterval == 0)
        {
            double after = RefMlp.Loss(_net.Forward(Weights, x), t) + 0.5 * eta * RefLinalg.Dot(theta, theta);
            if (after > _o.LossGrowthLimit * objective)
                throw new InvalidOperationException($"reference step {k}: h grew from {objective} to {after}: the optimizer would undo the update, which the reference does not model");
            rho = solution.Value < 0 ? (after - objective) / solution.Value : double.NaN;
            double next = rho > 0.75 ? Omega1 * Lambda : rho < 0.25 || double.IsNaN(rho) ? Lambda / Omega1 : Lambda;
            Lambda = Math.Clamp(next, _o.MinLambda, _o.MaxLambda);
        }
        Iteration = k;
        return new StepRecord(k, loss, objective, solution.Alpha, solution.Mu, solution.Value, rho, Lambda, Gamma, refresh && !gammaTrial, gammaTrial);
    }

    /// <summary>Delta = -F_hat^-1 grad h.</summary>
    private static double[] Direction(double[,] inverse, double[] gradient) =>
        RefLinalg.Multiply(inverse, gradient).Select(v => -v).ToArray();

    /// <summary>
    /// Minimises M(alpha Delta + mu delta0) = 1/2 [alpha mu] K [alpha mu]^T + alpha grad^T Delta + mu grad^T delta0,
    /// K = [[D^T (F + cI) D, D^T (F + cI) d0], [., d0^T (F + cI) d0]] with the exact Fisher, by Cramer's rule.
    /// </summary>
    private (double Alpha, double Mu, double Value) SolveQuadraticModel(RefMlp.Pass pass, double[] direction, double[] gradient, double[][]? jPrevious)
    {
        double c = Lambda + _o.L2;
        var jd = _net.JacobianVectorProducts(Weights, pass, FromVec(direction));
        double k00 = RefMlp.FisherForm(pass, jd, jd) + c * RefLinalg.Dot(direction, direction);
        double gd = RefLinalg.Dot(gradient, direction);
        if (!(k00 > 0)) throw new InvalidOperationException($"Delta^T (F + cI) Delta = {k00}");
        if (jPrevious is null)
        {
            double alpha0 = -gd / k00;
            return (alpha0, 0, 0.5 * alpha0 * alpha0 * k00 + alpha0 * gd);
        }
        double k01 = RefMlp.FisherForm(pass, jd, jPrevious) + c * RefLinalg.Dot(direction, _previous);
        double k11 = RefMlp.FisherForm(pass, jPrevious, jPrevious) + c * RefLinalg.Dot(_previous, _previous);
        double gp = RefLinalg.Dot(gradient, _previous);
        double det = k00 * k11 - k01 * k01;
        if (!(det > 1e-12 * k00 * k11))
            throw new InvalidOperationException($"the 2x2 system is (nearly) singular: det {det}, diagonal {k00}, {k11}");
        double alpha = (-gd * k11 + gp * k01) / det;
        double mu = (-gp * k00 + gd * k01) / det;
        if (Math.Abs(mu) > _o.MomentumLimit)
        {
            mu = Math.Sign(mu) * _o.MomentumLimit;
            alpha = -(gd + mu * k01) / k00;
        }
        double value = 0.5 * (alpha * alpha * k00 + 2 * alpha * mu * k01 + mu * mu * k11) + alpha * gd + mu * gp;
        return (alpha, mu, value);
    }

    /// <summary>The damped F_hat^-1 over the whole parameter vector (dense), block-diagonal or block-tridiagonal.</summary>
    private double[,] DampedInverse(double gamma)
    {
        int layers = _net.Layers, n = _offsets[layers];
        var diagonal = new double[layers][,];
        for (int l = 0; l < layers; l++)
        {
            double traceA = RefLinalg.Trace(_a[l]) / _net.DIn(l), traceG = RefLinalg.Trace(_g[l]) / _net.Out(l);
            double pi = traceA > 0 && traceG > 0 ? Math.Sqrt(traceA / traceG) : 1;
            diagonal[l] = RefLinalg.Kron(RefLinalg.AddIdentity(_a[l], pi * gamma), RefLinalg.AddIdentity(_g[l], gamma / pi));
        }
        var inverse = new double[n, n];
        if (!_tridiagonal)
        {
            for (int l = 0; l < layers; l++) Place(inverse, RefLinalg.SpdInverse(diagonal[l]), _offsets[l], _offsets[l]);
            return inverse;
        }
        // Block-tridiagonal (section 4.3): Xi = I - superdiag(Psi), Lambda = blockdiag(Sigma_{l|l+1}^-1, ..., Sigma_L^-1).
        var xi = RefLinalg.Identity(n);
        var lambdaBlocks = new double[n, n];
        for (int l = 0; l < layers; l++)
        {
            var sigma = diagonal[l];
            if (l + 1 < layers)
            {
                var cross = RefLinalg.Kron(_aCross[l], _gCross[l]);
                var psi = RefLinalg.Multiply(cross, RefLinalg.SpdInverse(diagonal[l + 1]));
                sigma = RefLinalg.Subtract(sigma, RefLinalg.Multiply(RefLinalg.Multiply(psi, diagonal[l + 1]), RefLinalg.Transpose(psi)));
                var minusPsi = RefLinalg.Subtract(new double[psi.GetLength(0), psi.GetLength(1)], psi);
                Place(xi, minusPsi, _offsets[l], _offsets[l + 1]);
            }
            Place(lambdaBlocks, RefLinalg.SpdInverse(sigma), _offsets[l], _offsets[l]);
        }
        return RefLinalg.Multiply(RefLinalg.Multiply(RefLinalg.Transpose(xi), lambdaBlocks), xi);
    }

    private static void Place(double[,] target, double[,] block, int row, int col)
    {
        for (int i = 0; i < block.GetLength(0); i++)
            for (int j = 0; j < block.GetLength(1); j++) target[row + i, col + j] = block[i, j];
    }

    /// <summary>Layers' [W | b] stacked column by column (vec), layer after layer.</summary>
    public double[] ToVec(double[][,] layers)
    {
        var v = new double[_offsets[^1]];
        for (int l = 0; l < layers.Length; l++)
        {
            int rows = layers[l].GetLength(0), cols = layers[l].GetLength(1);
            for (int c = 0; c < cols; c++)
                for (int r = 0; r < rows; r++) v[_offsets[l] + c * rows + r] = layers[l][r, c];
        }
        return v;
    }

    public double[][,] FromVec(double[] v)
    {
        var layers = new double[_net.Layers][,];
        for (int l = 0; l < layers.Length; l++)
        {
            int rows = _net.Out(l), cols = _net.DIn(l);
            layers[l] = new double[rows, cols];
            for (int c = 0; c < cols; c++)
                for (int r = 0; r < rows; r++) layers[l][r, c] = v[_offsets[l] + c * rows + r];
        }
        return layers;
    }
}
