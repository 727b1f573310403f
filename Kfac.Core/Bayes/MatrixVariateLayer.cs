using Kfac.Curvature;
using Kfac.Linalg;
using Kfac.Sampling;

namespace Kfac.Bayes;

/// <summary>
/// One dense layer's matrix-variate Gaussian posterior (Zhang et al. 2018, section 3.2):
/// the [W | b] matrix M [q, p] (q = outputs, p = inputs + 1 with the homogeneous bias column) has
/// vec(W) ~ N(vec(M), c U (x) V) with U = (A + dA I)^-1 [p, p], V = (S + dS I)^-1 [q, q] and c = lambda/N, where
/// A and S are K-FAC's input and output factors and dA = pi sqrt(gamma_in), dS = sqrt(gamma_in)/pi the factored
/// damping with the intrinsic damping only. Samples are W = M + sqrt(c) R_V E R_U^T (E iid N(0, 1)) with any square
/// roots R_U R_U^T = U and R_V R_V^T = V; their covariance Cov(W_ij, W_kl) = c V_ik U_jl is c U (x) V for
/// column-stacking vec. <see cref="SetFactors"/> (refreshed with the K-FAC inverses) takes the Cholesky roots: with
/// A + dA I = L L^T, R_U = L^-T (then R_U R_U^T = (L L^T)^-1 = U), tr U = ||L^-1||_F^2 and log det U = -2 sum log L_ii;
/// n^3/3 flops for the factor and n^3/3 for the triangular inverse, several times cheaper than an eigendecomposition.
/// <para>
/// <see cref="SetFactorsEigenbasis"/> instead gives the covariance c (A (x) S + gamma_in I)^-1 exactly, the Kronecker
/// factors plus an isotropic damping: with A = Q_A diag(a) Q_A^T and S = Q_S diag(s) Q_S^T it is
/// c (Q_A (x) Q_S) diag(1 / (a_j s_i + gamma_in)) (Q_A (x) Q_S)^T, sampled as W = M + sqrt(c) Q_S (E o D) Q_A^T with
/// D_ij = (a_j s_i + gamma_in)^(-1/2) (the eigenbasis damping of George et al. 2018 and openai/baselines' ACKTR). The
/// factored form's cross terms pi sqrt(gamma) I (x) S + sqrt(gamma)/pi A (x) I add precision that
/// A (x) S + gamma I does not have, so its posterior is narrower than the damped Kronecker Fisher implies.
/// </para>
/// </summary>
public sealed class MatrixVariateLayer
{
    private readonly double[] _uRootT, _vRoot, _m, _weight, _uScratch, _vScratch; // _uRootT = R_U^T (stored transposed so the
    // sampling GEMM reads it untransposed: the driver would otherwise transpose the p x p matrix on every draw), _vRoot = R_V
    private double[] _e, _t; // noise and its product for as many samples as the largest batch drawn so far
    private readonly double[]? _bias;
    private double[]? _d; // eigenbasis form: D [q, p], D_ij = (a_j s_i + gamma)^(-1/2); _uRootT = Q_A^T, _vRoot = Q_S

    /// <summary>The posterior of the dense layer <paramref name="tag"/>; no covariance until <see cref="SetFactors"/>.</summary>
    public MatrixVariateLayer(DenseTag tag)
    {
        Tag = tag ?? throw new ArgumentNullException(nameof(tag));
        P = tag.InputDim;
        Q = tag.OutFeatures;
        _uRootT = new double[P * P];
        _vRoot = new double[Q * Q];
        _e = new double[Q * P];
        _t = new double[Q * P];
        _m = new double[Q * P];
        _uScratch = new double[P * P];
        _vScratch = new double[Q * Q];
        _weight = new double[Q * tag.InFeatures];
        _bias = tag.HasBias ? new double[Q] : null;
    }

    /// <summary>The dense layer this posterior covers.</summary>
    public DenseTag Tag { get; }

    /// <summary>Input dimension of the [W | b] matrix (columns), in + 1 with a bias.</summary>
    public int P { get; }

    /// <summary>Output dimension (rows).</summary>
    public int Q { get; }

    /// <summary>The scale c = lambda / N of the covariance.</summary>
    public double Scale { get; private set; } = double.NaN;

    /// <summary>tr(U), U = (A + dA I)^-1 (P before any factors).</summary>
    public double TraceU { get; private set; }

    /// <summary>log det U (0 before any factors).</summary>
    public double LogDetU { get; private set; }

    /// <summary>tr(V), V = (S + dS I)^-1 (Q before any factors).</summary>
    public double TraceV { get; private set; }

    /// <summary>log det V (0 before any factors).</summary>
    public double LogDetV { get; private set; }

    /// <summary>True once <see cref="SetFactors"/> has set the covariance (<see cref="Scale"/> is not NaN).</summary>
    public bool HasCovariance => !double.IsNaN(Scale);

    /// <summary>True when the covariance is the eigenbasis form c (A (x) S + gamma I)^-1 (<see cref="SetFactorsEigenbasis"/>);
    /// then <see cref="TraceU"/>, <see cref="LogDetU"/>, <see cref="TraceV"/> and <see cref="LogDetV"/> are NaN.</summary>
    public bool IsEigenbasis => _d is not null;

    /// <summary>tr of the covariance without the scale c: tr U tr V, or sum_ij 1 / (a_j s_i + gamma).</summary>
    public double CovarianceTrace { get; private set; }

    /// <summary>log det of the covariance without the scale c: q log det U + p log det V, or -sum_ij log(a_j s_i + gamma).</summary>
    public double CovarianceLogDet { get; private set; }

    /// <summary>
    /// Sets the covariance c (A + dA I)^-1 (x) (S + dS I)^-1 from the (undamped) factors A [p, p] and S [q, q]
    /// (row-major, symmetric). Throws <see cref="NotPositiveDefiniteException"/> when a damped factor is not positive
    /// definite.
    /// </summary>
    public void SetFactors(ReadOnlySpan<double> a, double inputDamping, ReadOnlySpan<double> s, double outputDamping, double scale)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "covariance scale lambda/N must be positive");
        if (a.Length != P * P) throw new ArgumentException($"input factor has {a.Length} entries, expected {P} x {P}", nameof(a));
        if (s.Length != Q * Q) throw new ArgumentException($"output factor has {s.Length} entries, expected {Q} x {Q}", nameof(s));
        // Into scratch first, so a failure leaves the current covariance as it was.
        var (traceU, logDetU) = InverseCholeskyRoot(a, P, inputDamping, _uScratch, transposed: true);
        var (traceV, logDetV) = InverseCholeskyRoot(s, Q, outputDamping, _vScratch, transposed: false);
        _uScratch.CopyTo(_uRootT, 0);
        _vScratch.CopyTo(_vRoot, 0);
        (TraceU, LogDetU, TraceV, LogDetV) = (traceU, logDetU, traceV, logDetV);
        _d = null;
        (CovarianceTrace, CovarianceLogDet) = (TraceU * TraceV, Q * LogDetU + P * LogDetV);
        Scale = scale;
    }

    /// <summary>
    /// Sets the covariance c (A (x) S + <paramref name="damping"/> I)^-1 from the (undamped, positive semi-definite)
    /// factors A [p, p] and S [q, q] through their eigendecompositions (eigenvalues below zero by rounding count as
    /// zero). <paramref name="damping"/> must be positive.
    /// </summary>
    public void SetFactorsEigenbasis(ReadOnlySpan<double> a, ReadOnlySpan<double> s, double damping, double scale)
    {
        if (!(scale > 0) || double.IsInfinity(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "covariance scale lambda/N must be positive");
        if (!(damping > 0) || double.IsInfinity(damping)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "the eigenbasis covariance needs a positive finite damping");
        if (a.Length != P * P) throw new ArgumentException($"input factor has {a.Length} entries, expected {P} x {P}", nameof(a));
        if (s.Length != Q * Q) throw new ArgumentException($"output factor has {s.Length} entries, expected {Q} x {Q}", nameof(s));
        // Into temporaries, so a failure leaves the current covariance as it was.
        var wa = new double[P];
        var ws = new double[Q];
        var qa = new double[P * P];
        var qs = new double[Q * Q];
        SymmetricEigen.Decompose(a, P, wa, qa);
        SymmetricEigen.Decompose(s, Q, ws, qs);
        var d = new double[Q * P];
        double trace = 0, logDet = 0;
        for (int i = 0; i < Q; i++)
            for (int j = 0; j < P; j++)
            {
                double e = Math.Max(wa[j], 0) * Math.Max(ws[i], 0) + damping;
                if (!double.IsFinite(e)) throw new NotPositiveDefiniteException(P * Q, i * P + j, e, $"eigenvalue product {wa[j]} * {ws[i]} + damping {damping} is not finite");
                d[i * P + j] = 1 / Math.Sqrt(e);
                trace += 1 / e;
                logDet -= Math.Log(e);
            }
        Kfac.Linalg.Transpose.Copy<double>(qa, P, P, P, _uRootT, P);
        qs.CopyTo(_vRoot, 0);
        _d = d;
        TraceU = LogDetU = TraceV = LogDetV = double.NaN;
        (CovarianceTrace, CovarianceLogDet) = (trace, logDet);
        Scale = scale;
    }

    /// <summary>Sets the covariance to the isotropic c/gamma I (the posterior before any statistics: A = S = 0).</summary>
    public void SetIsotropic(double variance)
    {
        if (!(variance > 0) || double.IsInfinity(variance)) throw new ArgumentOutOfRangeException(nameof(variance), variance, "must be positive");
        Array.Clear(_uRootT);
        Array.Clear(_vRoot);
        for (int i = 0; i < P; i++) _uRootT[i * P + i] = 1;
        for (int i = 0; i < Q; i++) _vRoot[i * Q + i] = 1;
        TraceU = P;
        TraceV = Q;
        LogDetU = LogDetV = 0;
        _d = null;
        (CovarianceTrace, CovarianceLogDet) = ((double)P * Q, 0);
        Scale = variance;
    }

    /// <summary>R = L^-T (upper triangular), or R^T = L^-1 when <paramref name="transposed"/>, into
    /// <paramref name="result"/> for A + d I = L L^T, so R R^T = (A + d I)^-1;
    /// returns tr (A + d I)^-1 = ||L^-1||_F^2 and log det (A + d I)^-1 = -2 sum_i log L_ii. Throws
    /// <see cref="NotPositiveDefiniteException"/> (or <see cref="NonFiniteMatrixException"/>) when A + d I is not
    /// numerically positive definite (or not finite).</summary>
    private static (double Trace, double LogDet) InverseCholeskyRoot(ReadOnlySpan<double> a, int n, double damping, double[] result, bool transposed)
    {
        var l = result.AsSpan(0, n * n);
        a.CopyTo(l);
        for (int i = 0; i < n; i++) l[i * n + i] += damping;
        Cholesky.Factor(l, n, maxThreads: 1);
        double logDet = 0;
        for (int i = 0; i < n; i++) logDet -= 2 * Math.Log(l[i * n + i]);
        TriangularInverse.InvertLower(l, n, n, maxThreads: 1, blockSize: 128);
        double trace = 0;
        foreach (var x in l) trace += x * x;
        if (transposed) return (trace, logDet);
        // L^-1 is lower triangular with zeros above; R = (L^-1)^T in place.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                (l[i * n + j], l[j * n + i]) = (l[j * n + i], l[i * n + j]);
        return (trace, logDet);
    }

    /// <summary>Reads the mean [W | b] (row-major [q, p]) from the layer's parameters into <paramref name="m"/>.</summary>
    public void ReadMean(Span<double> m)
    {
        if (m.Length != Q * P) throw new ArgumentException($"mean buffer has {m.Length} entries, expected {Q} x {P}", nameof(m));
        int inF = Tag.InFeatures;
        var w = _weight;
        HostValues.Read(Tag.Weight, w);
        var b = _bias;
        if (b is not null) HostValues.Read(Tag.Bias!, b);
        for (int i = 0; i < Q; i++)
        {
            for (int j = 0; j < inF; j++) m[i * P + j] = w[i * inF + j];
            if (b is not null) m[i * P + inF] = b[i];
        }
    }

    /// <summary>One sample of W (into <paramref name="weight"/>, [q, in]) and b (into <paramref name="bias"/>).</summary>
    public void Sample(System.Random rng, double[] weight, double[]? bias) => Sample(rng, 1, weight, bias);

    /// <summary>
    /// <paramref name="count"/> independent samples at once: sample k's W into <paramref name="weights"/>[k q in ..]
    /// and b into <paramref name="biases"/>[k q ..]. The noise is one [q, count, p] array G of iid N(0, 1) (times D in
    /// the eigenbasis form), so both products are single GEMMs for all samples: Y = R_V G with G viewed as
    /// [q, count p], then Z = Y R_U^T with Y viewed as [q count, p]; sample k is M + sqrt(c) Z[:, k, :] =
    /// M + sqrt(c) R_V G_k R_U^T with G_k = G[:, k, :] iid N(0, 1).
    /// </summary>
    public void Sample(System.Random rng, int count, double[] weights, double[]? biases)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(weights);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "must be positive");
        int inF = Tag.InFeatures;
        if (weights.Length < count * Q * inF) throw new ArgumentException($"{count} samples of a [{Q}, {inF}] weight need {count * Q * inF} values; the buffer has {weights.Length}", nameof(weights));
        if (Tag.HasBias != biases is not null) throw new ArgumentException(Tag.HasBias ? $"{Tag} has a bias: pass a buffer for it" : $"{Tag} has no bias: pass null", nameof(biases));
        if (biases is not null && biases.Length < count * Q) throw new ArgumentException($"{count} samples of a [{Q}] bias need {count * Q} values; the buffer has {biases.Length}", nameof(biases));
        if (!HasCovariance) throw new InvalidOperationException($"{Tag}: the posterior covariance is not set (SetFactors or SetIsotropic first)");
        int size = Q * count * P;
        if (_e.Length < size)
        {
            _e = new double[size];
            _t = new double[size];
        }
        var g = _e.AsSpan(0, size);
        ReadMean(_m);
        Gaussian.Fill(rng, g);
        if (_d is { } d)
            for (int i = 0; i < Q; i++)
                for (int k = 0; k < count; k++)
                {
                    var row = g.Slice((i * count + k) * P, P);
                    for (int j = 0; j < P; j++) row[j] *= d[i * P + j];
                }
        // Y = R_V G  [q, count p];  Z = Y R_U^T  [q count, p] (into the noise buffer)
        Blas.Gemm<double>(false, false, Q, count * P, Q, 1.0, _vRoot, Q, _e, count * P, 0.0, _t, count * P, 0);
        Blas.Gemm<double>(false, false, Q * count, P, P, Math.Sqrt(Scale), _t, P, _uRootT, P, 0.0, _e, P, 0);
        for (int k = 0; k < count; k++)
            for (int i = 0; i < Q; i++)
            {
                int z = (i * count + k) * P, m = i * P;
                var w = weights.AsSpan((k * Q + i) * inF, inF);
                for (int j = 0; j < inF; j++) w[j] = _m[m + j] + _e[z + j];
                if (biases is not null) biases[k * Q + i] = _m[m + inF] + _e[z + inF];
            }
    }

    /// <summary>KL(q || N(0, eta I)) of this layer, closed form.</summary>
    public double KlToPrior(double eta)
    {
        ReadMean(_m);
        double norm = 0;
        foreach (var x in _m) norm += x * x;
        return GaussianKl.FromTraceAndLogDet(norm, Scale * CovarianceTrace, P * Q * Math.Log(Scale) + CovarianceLogDet, P * Q, eta);
    }

    /// <summary>The dense covariance c U (x) V [pq, pq] of vec([W | b]) (column-stacking: index j q + i for M_ij),
    /// for tests on tiny layers.</summary>
    public double[] DenseCovariance()
    {
        int d = P * Q;
        if (_d is { } scales)
        {
            // c K diag(D^2) K^T with K = Q_A (x) Q_S; vec index j q + i holds D_ij.
            var k = new double[d * d];
            var qa = new double[P * P];
            Kfac.Linalg.Transpose.Copy<double>(_uRootT, P, P, P, qa, P);
            Kronecker.Product<double>(qa, P, P, _vRoot, Q, Q, k);
            var dense = new double[d * d];
            for (int r = 0; r < d; r++)
                for (int c = 0; c < d; c++)
                {
                    double sum = 0;
                    for (int t = 0; t < d; t++)
                    {
                        double e = scales[(t % Q) * P + t / Q];
                        sum += k[r * d + t] * e * e * k[c * d + t];
                    }
                    dense[r * d + c] = Scale * sum;
                }
            return dense;
        }
        var u = new double[P * P];
        var v = new double[Q * Q];
        Blas.Gemm<double>(true, false, P, P, P, 1.0, _uRootT, P, _uRootT, P, 0.0, u, P, 1); // R_U R_U^T
        Blas.Gemm<double>(false, true, Q, Q, Q, 1.0, _vRoot, Q, _vRoot, Q, 0.0, v, Q, 1);
        var cov = new double[d * d];
        Kronecker.Product<double>(u, P, P, v, Q, Q, cov);
        for (int i = 0; i < cov.Length; i++) cov[i] *= Scale;
        return cov;
    }
}
