using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// The block-tridiagonal inverse of Martens &amp; Grosse 2015, section 4.3, over a chain of dense layers
/// 1..l (layer i+1's input is layer i's output). It models vec(DW_i) given vec(DW_{i+1}) as a linear-Gaussian
/// chain whose precision matrix F_hat^-1 is block-tridiagonal and agrees with the Kronecker-factored Fisher
/// on the diagonal and first off-diagonal blocks:
///   Psi_{i,i+1} = Psi^A (x) Psi^G, Psi^A = Abar_{i-1,i} Abar_{i,i}^-1, Psi^G = G_{i,i+1} G_{i+1,i+1}^-1,
///   Sigma_{i|i+1} = Abar_{i-1,i-1} (x) G_{i,i} - Psi^A Abar_{i,i} Psi^A^T (x) Psi^G G_{i+1,i+1} Psi^G^T,
///   Sigma_l = Abar_{l-1,l-1} (x) G_{l,l},
///   F_hat^-1 = Xi^T Lambda Xi, Lambda = blockdiag(Sigma_{i|i+1}^-1, ..., Sigma_l^-1), Xi = I - superdiag(Psi).
/// The diagonal factors are damped first (factored Tikhonov, per layer pi), and Sigma_{i|i+1}^-1 is applied
/// with the appendix-B inverse of a difference of Kronecker products. Statistics live on the parameters'
/// device; the inverse algebra runs on the host in double.
/// </summary>
public sealed class TridiagonalChain : CurvatureBlock
{
    private readonly DenseTag[] _layers;
    private Tensor[]? _a, _g;          // diagonal factors Abar_{i-1,i-1}, G_{i,i}
    private Tensor[]? _aCross, _gCross; // Abar_{i-1,i} [dIn_i, dIn_{i+1}], G_{i,i+1} [out_i, out_{i+1}]
    private Tensor[]? _snapshot;       // the statistics the cached inverse was built from
    private Inverse? _inverse;

    /// <summary>A chain over consecutive dense layers (layer i+1's in-features equal layer i's out-features, else <see cref="ArgumentException"/>).</summary>
    public TridiagonalChain(IReadOnlyList<DenseTag> layers) : base(layers.Cast<LayerTag>().ToList())
    {
        _layers = layers.ToArray();
        for (int i = 0; i + 1 < _layers.Length; i++)
            if (_layers[i + 1].InFeatures != _layers[i].OutFeatures)
                throw new ArgumentException(
                    $"a tridiagonal chain needs consecutive layers: {_layers[i]} outputs {_layers[i].OutFeatures} features but {_layers[i + 1]} takes {_layers[i + 1].InFeatures}", nameof(layers));
    }

    /// <summary>"TridiagonalChain[...]" with the layers' descriptions.</summary>
    public override string Description => $"TridiagonalChain[{string.Join(", ", _layers.Select(l => l.Description))}]";

    /// <summary>l, the number of layers in the chain.</summary>
    public int LayerCount => _layers.Length;

    private int DIn(int i) => _layers[i].InputDim;

    private int DOut(int i) => _layers[i].OutFeatures;

    /// <summary>Diagonal input factor of layer i (E[abar_{i-1} abar_{i-1}^T]).</summary>
    public Tensor InputFactor(int i) => _a![i];

    /// <summary>Diagonal output factor of layer i (E[g_i g_i^T]).</summary>
    public Tensor OutputFactor(int i) => _g![i];

    /// <summary>Cross factor E[abar_{i-1} abar_i^T] between layers i and i+1.</summary>
    public Tensor InputCrossFactor(int i) => _aCross![i];

    /// <summary>Cross factor E[g_i g_{i+1}^T] between layers i and i+1.</summary>
    public Tensor OutputCrossFactor(int i) => _gCross![i];

    /// <summary>EMAs of the diagonal factors Abar_{i-1,i-1}, G_{i,i} and the cross factors Abar_{i-1,i}, G_{i,i+1}.</summary>
    protected override void AccumulateStatistics(IReadOnlyList<LayerCapture> captures, double eps)
    {
        var like = _layers[0].Weight;
        EnsureState(like);
        var backend = like.Backend;
        int l = _layers.Length;
        var xbar = new Tensor[l];
        // The diagonal factors are the dense block's statistics, computed by the same code.
        for (int i = 0; i < l; i++)
            xbar[i] = DenseFactorStatistics.Accumulate(_layers[i], captures[i], eps, _a![i], _g![i]);
        for (int i = 0; i + 1 < l; i++)
        {
            int m = captures[i].BatchSize;
            // Abar_{i-1,i} = E[abar_{i-1} abar_i^T] = (1/m) Xbar_i^T Xbar_{i+1}
            backend.Gemm(true, false, DIn(i), DIn(i + 1), m, (1 - eps) / m, xbar[i], xbar[i + 1], eps, _aCross![i]);
            // G_{i,i+1} = E[g_i g_{i+1}^T] = m dS_i^T dS_{i+1} (summed over backward passes)
            var gi = captures[i].OutputGradients;
            var gj = captures[i + 1].OutputGradients;
            if (gi.Count != gj.Count) throw new InvalidOperationException("consecutive layers saw different numbers of backward passes");
            for (int p = 0; p < gi.Count; p++)
                backend.Gemm(true, false, DOut(i), DOut(i + 1), m, (1 - eps) * m, gi[p], gj[p], p == 0 ? eps : 1, _gCross![i]);
        }
    }

    private void EnsureState(Tensor like)
    {
        if (_a is not null) return;
        using var outside = TensorScope.Suspend();
        int l = _layers.Length;
        _a = Enumerable.Range(0, l).Select(i => Tensor.Zeros(new Shape(DIn(i), DIn(i)), like.DType, like.Device)).ToArray();
        _g = Enumerable.Range(0, l).Select(i => Tensor.Zeros(new Shape(DOut(i), DOut(i)), like.DType, like.Device)).ToArray();
        _aCross = Enumerable.Range(0, l - 1).Select(i => Tensor.Zeros(new Shape(DIn(i), DIn(i + 1)), like.DType, like.Device)).ToArray();
        _gCross = Enumerable.Range(0, l - 1).Select(i => Tensor.Zeros(new Shape(DOut(i), DOut(i + 1)), like.DType, like.Device)).ToArray();
    }

    /// <summary>Everything the application of F_hat^-1 needs, in double on the host.</summary>
    private sealed class Inverse
    {
        public required double[][] PsiA, PsiG;              // per link i: [dIn_i, dIn_{i+1}], [out_i, out_{i+1}]
        public required KroneckerDifferenceInverse[] Sigma; // per link i: Sigma_{i|i+1}^-1
        public required double[] LastAInverse, LastGInverse;
        public required double[][] DampedA, DampedG, C, D;  // kept for the forward product (power +1)
        public required double[] Pi;
    }

    /// <summary>Snapshots the statistics (so a checkpoint can rebuild exactly this inverse) and builds the inverse.</summary>
    protected override void ComputeInverse(double gamma)
    {
        EnsureSnapshot();
        var backend = _a![0].Backend;
        for (int i = 0; i < _a.Length; i++)
        {
            backend.Copy(_a[i], _snapshot![i]);
            backend.Copy(_g![i], _snapshot[_a.Length + i]);
        }
        for (int i = 0; i < _aCross!.Length; i++)
        {
            backend.Copy(_aCross[i], _snapshot![2 * _a.Length + i]);
            backend.Copy(_gCross![i], _snapshot[2 * _a.Length + _aCross.Length + i]);
        }
        BuildInverse(gamma);
    }

    private void EnsureSnapshot()
    {
        if (_snapshot is not null) return;
        using var outside = TensorScope.Suspend();
        _snapshot = [.. _a!.Select(Tensor.ZerosLike), .. _g!.Select(Tensor.ZerosLike), .. _aCross!.Select(Tensor.ZerosLike), .. _gCross!.Select(Tensor.ZerosLike)];
    }

    /// <summary>Builds the host-side inverse from the snapshot of the statistics.</summary>
    private void BuildInverse(double gamma)
    {
        int l = _layers.Length;
        var snap = _snapshot!;
        var a = Enumerable.Range(0, l).Select(i => snap[i].ToDoubleArray()).ToArray();
        var g = Enumerable.Range(0, l).Select(i => snap[l + i].ToDoubleArray()).ToArray();
        var pi = new double[l];
        var ad = new double[l][];
        var gd = new double[l][];
        for (int i = 0; i < l; i++)
        {
            pi[i] = FactoredDamping.Pi(HostMatrix.Trace(a[i], DIn(i)), DIn(i), HostMatrix.Trace(g[i], DOut(i)), DOut(i));
            ad[i] = HostMatrix.AddIdentity(a[i], DIn(i), FactoredDamping.InputDamping(pi[i], gamma));
            gd[i] = HostMatrix.AddIdentity(g[i], DOut(i), FactoredDamping.OutputDamping(pi[i], gamma));
            HostMatrix.Symmetrize(ad[i], DIn(i));
            HostMatrix.Symmetrize(gd[i], DOut(i));
        }
        var psiA = new double[l - 1][];
        var psiG = new double[l - 1][];
        var c = new double[l - 1][];
        var d = new double[l - 1][];
        var sigma = new KroneckerDifferenceInverse[l - 1];
        for (int i = 0; i + 1 < l; i++)
        {
            var aCross = snap[2 * l + i].ToDoubleArray();
            var gCross = snap[2 * l + (l - 1) + i].ToDoubleArray();
            int na = DIn(i), nb = DIn(i + 1), ga = DOut(i), gb = DOut(i + 1);
            // Psi^A = Abar_{i-1,i} Abar_{i,i}^-1: solve Abar_{i,i} X = Abar_{i-1,i}^T, Psi^A = X^T (both damped factors SPD).
            psiA[i] = SolveRight(aCross, ad[i + 1], na, nb);
            psiG[i] = SolveRight(gCross, gd[i + 1], ga, gb);
            // C = Psi^A Abar_{i,i} Psi^A^T = Abar_{i-1,i} Psi^A^T ; D likewise.
            c[i] = HostMatrix.Multiply(aCross, psiA[i], na, na, nb, transB: true);
            d[i] = HostMatrix.Multiply(gCross, psiG[i], ga, ga, gb, transB: true);
            HostMatrix.Symmetrize(c[i], na);
            HostMatrix.Symmetrize(d[i], ga);
            sigma[i] = new KroneckerDifferenceInverse(ad[i], c[i], na, gd[i], d[i], ga);
        }
        var lastA = new double[DIn(l - 1) * DIn(l - 1)];
        var lastG = new double[DOut(l - 1) * DOut(l - 1)];
        Spd.Inverse<double>(ad[l - 1], DIn(l - 1), lastA);
        Spd.Inverse<double>(gd[l - 1], DOut(l - 1), lastG);
        _inverse = new Inverse
        {
            PsiA = psiA, PsiG = psiG, Sigma = sigma, LastAInverse = lastA, LastGInverse = lastG,
            DampedA = ad, DampedG = gd, C = c, D = d, Pi = pi,
        };
    }

    /// <summary>X = P Q^-1 for SPD Q (n x n) and P (r x n): Q X^T = P^T.</summary>
    private static double[] SolveRight(double[] p, double[] q, int r, int n)
    {
        var pt = HostMatrix.Transpose(p, r, n); // P^T, n x r
        Spd.Solve<double>(q, n, pt, r);
        return HostMatrix.Transpose(pt, n, r);
    }

    /// <summary>result = scale F_hat^-1 vector (power -1, via Xi^T Lambda Xi) or scale F_hat vector (power 1).</summary>
    protected override void ApplyDampedPower(IReadOnlyList<Tensor> vector, IReadOnlyList<Tensor> result, double power, double scale)
    {
        var inv = _inverse!;
        var v = ReadLayers(vector);
        var output = power < 0 ? ApplyInverse(inv, v) : ApplyForward(inv, v);
        foreach (var layer in output)
            for (int k = 0; k < layer.Length; k++) layer[k] *= scale;
        WriteLayers(output, result);
    }

    /// <summary>F_hat^-1 v = Xi^T Lambda Xi v.</summary>
    private double[][] ApplyInverse(Inverse inv, double[][] v)
    {
        int l = _layers.Length;
        var u = new double[l][];
        for (int i = 0; i < l; i++)
        {
            u[i] = (double[])v[i].Clone();
            if (i + 1 < l)
            {
                var psiV = PsiTimes(inv, i, v[i + 1]);
                for (int k = 0; k < u[i].Length; k++) u[i][k] -= psiV[k];
            }
        }
        var w = new double[l][];
        for (int i = 0; i + 1 < l; i++)
        {
            w[i] = new double[u[i].Length];
            inv.Sigma[i].Apply(u[i], w[i]);
        }
        int last = l - 1;
        // Sigma_l^-1 vec(U) = vec(G^-1 U A^-1)
        w[last] = HostMatrix.Multiply(HostMatrix.Multiply(inv.LastGInverse, u[last], DOut(last), DIn(last), DOut(last)), inv.LastAInverse, DOut(last), DIn(last), DIn(last));
        var output = new double[l][];
        for (int i = 0; i < l; i++)
        {
            output[i] = (double[])w[i].Clone();
            if (i > 0)
            {
                var psiTw = PsiTransposeTimes(inv, i - 1, w[i - 1]);
                for (int k = 0; k < output[i].Length; k++) output[i][k] -= psiTw[k];
            }
        }
        return output;
    }

    /// <summary>F_hat v = Xi^-1 Lambda^-1 Xi^-T v (the approximation itself, for tests and diagnostics).</summary>
    private double[][] ApplyForward(Inverse inv, double[][] v)
    {
        int l = _layers.Length;
        // y = Xi^-T v: Xi^T is lower bidiagonal with -Psi^T below: y_1 = v_1, y_i = v_i + Psi_{i-1,i}^T y_{i-1}.
        var y = new double[l][];
        for (int i = 0; i < l; i++)
        {
            y[i] = (double[])v[i].Clone();
            if (i > 0)
            {
                var t = PsiTransposeTimes(inv, i - 1, y[i - 1]);
                for (int k = 0; k < y[i].Length; k++) y[i][k] += t[k];
            }
        }
        // z = Lambda^-1 y: Sigma_{i|i+1} vec(U) = vec(Gd U Ad - D U C); Sigma_l vec(U) = vec(Gd U Ad).
        var z = new double[l][];
        for (int i = 0; i < l; i++)
        {
            int r = DOut(i), c = DIn(i);
            z[i] = HostMatrix.Multiply(HostMatrix.Multiply(inv.DampedG[i], y[i], r, c, r), inv.DampedA[i], r, c, c);
            if (i + 1 < l)
            {
                var t = HostMatrix.Multiply(HostMatrix.Multiply(inv.D[i], y[i], r, c, r), inv.C[i], r, c, c);
                for (int k = 0; k < z[i].Length; k++) z[i][k] -= t[k];
            }
        }
        // x = Xi^-1 z: x_l = z_l, x_i = z_i + Psi_{i,i+1} x_{i+1}.
        var x = new double[l][];
        for (int i = l - 1; i >= 0; i--)
        {
            x[i] = (double[])z[i].Clone();
            if (i + 1 < l)
            {
                var t = PsiTimes(inv, i, x[i + 1]);
                for (int k = 0; k < x[i].Length; k++) x[i][k] += t[k];
            }
        }
        return x;
    }

    /// <summary>Psi_{i,i+1} vec(V_{i+1}) = vec(Psi^G V_{i+1} Psi^A^T), [out_i, dIn_i].</summary>
    private double[] PsiTimes(Inverse inv, int i, double[] next)
    {
        var t = HostMatrix.Multiply(inv.PsiG[i], next, DOut(i), DIn(i + 1), DOut(i + 1));
        return HostMatrix.Multiply(t, inv.PsiA[i], DOut(i), DIn(i), DIn(i + 1), transB: true);
    }

    /// <summary>Psi_{i,i+1}^T vec(W_i) = vec(Psi^G^T W_i Psi^A), [out_{i+1}, dIn_{i+1}].</summary>
    private double[] PsiTransposeTimes(Inverse inv, int i, double[] w)
    {
        var t = HostMatrix.Multiply(inv.PsiG[i], w, DOut(i + 1), DIn(i), DOut(i), transA: true);
        return HostMatrix.Multiply(t, inv.PsiA[i], DOut(i + 1), DIn(i + 1), DIn(i));
    }

    /// <summary>Each layer's [dW | db] as a double [out, dIn] matrix.</summary>
    private double[][] ReadLayers(IReadOnlyList<Tensor> vector)
    {
        var layers = new double[_layers.Length][];
        int p = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            int n = _layers[i].InFeatures, r = DOut(i), c = DIn(i);
            var w = vector[p++].ToDoubleArray();
            var m = new double[r * c];
            for (int row = 0; row < r; row++) Array.Copy(w, row * n, m, row * c, n);
            if (_layers[i].HasBias)
            {
                var b = vector[p++].ToDoubleArray();
                for (int row = 0; row < r; row++) m[row * c + n] = b[row];
            }
            layers[i] = m;
        }
        return layers;
    }

    private void WriteLayers(double[][] layers, IReadOnlyList<Tensor> result)
    {
        int p = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            int n = _layers[i].InFeatures, r = DOut(i), c = DIn(i);
            var w = new double[r * n];
            for (int row = 0; row < r; row++) Array.Copy(layers[i], row * c, w, row * n, n);
            Write(result[p++], w);
            if (_layers[i].HasBias)
            {
                var b = new double[r];
                for (int row = 0; row < r; row++) b[row] = layers[i][row * c + n];
                Write(result[p++], b);
            }
        }
    }

    private static void Write(Tensor t, double[] values)
    {
        if (t.DType == DType.Float64) t.CopyFrom<double>(values);
        else t.CopyFrom<float>(values.Select(v => (float)v).ToArray());
    }

    /// <summary>The diagonal factors and the cross factors (not the snapshot the host-side inverse was built from).</summary>
    public override IEnumerable<Tensor> StatisticsTensors() =>
        _a is null ? [] : _a.Concat(_g!).Concat(_aCross!).Concat(_gCross!);

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        if (_a is null) yield break;
        for (int i = 0; i < _layers.Length; i++)
        {
            yield return ($"A{i}", _a[i]);
            yield return ($"G{i}", _g![i]);
        }
        for (int i = 0; i + 1 < _layers.Length; i++)
        {
            yield return ($"A{i}_{i + 1}", _aCross![i]);
            yield return ($"G{i}_{i + 1}", _gCross![i]);
        }
        if (_snapshot is null) yield break;
        for (int i = 0; i < _snapshot.Length; i++) yield return ($"inverse_source{i}", _snapshot[i]);
    }

    /// <summary>Allocates the statistics tensors (so a checkpoint can be loaded into a fresh block). The host-side
    /// inverse is rebuilt on load from the snapshot of the statistics it was computed from.</summary>
    public override void AllocateState()
    {
        EnsureState(_layers[0].Weight);
        EnsureSnapshot();
    }

    /// <summary>Rebuilds the host-side inverse from the loaded snapshot at the loaded damping, if the checkpoint had one.</summary>
    public override void AfterStateLoaded()
    {
        if (HasInverse) BuildInverse(InverseDamping);
    }
}
