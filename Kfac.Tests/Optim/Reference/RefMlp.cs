namespace Kfac.Tests.Optim.Reference;

/// <summary>
/// A tiny tanh MLP with a softmax cross-entropy output, written out by hand in double for the reference K-FAC:
/// s_l = W_l abar_{l-1} with abar = [a; 1] (bias as the last column of W_l = [W | b]), a_l = tanh(s_l) on hidden
/// layers, z = s_L, p = softmax(z), L = -sum_c t_c log p_c averaged over the batch. Its own forward pass, reverse
/// pass (per-example back-propagation of any output-side vector), forward-mode Jacobian-vector product and
/// exact Fisher quadratic forms (softmax output Fisher F_R = diag(p) - p p^T). No library autodiff.
/// </summary>
internal sealed class RefMlp
{
    public RefMlp(int[] sizes) => Sizes = sizes;

    public int[] Sizes { get; }

    public int Layers => Sizes.Length - 1;

    public int Out(int l) => Sizes[l + 1];

    /// <summary>Columns of [W | b] of layer l: in + 1.</summary>
    public int DIn(int l) => Sizes[l] + 1;

    /// <summary>One forward pass: Abar[l][i] is layer l's homogeneous input for example i, Act[l][i] the tanh output of
    /// hidden layer l, P[i] the softmax probabilities.</summary>
    public sealed record Pass(double[][][] Abar, double[][][] Act, double[][] P, double[][] LogP)
    {
        public int Rows => P.Length;
    }

    public Pass Forward(double[][,] w, double[][] x)
    {
        int m = x.Length, layers = Layers;
        var abar = new double[layers][][];
        var act = new double[layers][][];
        var p = new double[m][];
        var logp = new double[m][];
        for (int l = 0; l < layers; l++)
        {
            abar[l] = new double[m][];
            act[l] = new double[m][];
        }
        for (int i = 0; i < m; i++)
        {
            double[] a = x[i];
            for (int l = 0; l < layers; l++)
            {
                var ab = new double[DIn(l)];
                Array.Copy(a, ab, a.Length);
                ab[^1] = 1;
                abar[l][i] = ab;
                var s = RefLinalg.Multiply(w[l], ab);
                if (l + 1 < layers)
                {
                    a = s.Select(Math.Tanh).ToArray();
                    act[l][i] = a;
                }
                else
                {
                    double max = s.Max();
                    double lse = max + Math.Log(s.Sum(v => Math.Exp(v - max)));
                    logp[i] = s.Select(v => v - lse).ToArray();
                    p[i] = logp[i].Select(Math.Exp).ToArray();
                }
            }
        }
        return new Pass(abar, act, p, logp);
    }

    /// <summary>Mean cross entropy of one-hot (or soft) targets t.</summary>
    public static double Loss(Pass pass, double[][] t)
    {
        double sum = 0;
        for (int i = 0; i < pass.Rows; i++)
            for (int c = 0; c < t[i].Length; c++) sum -= t[i][c] * pass.LogP[i][c];
        return sum / pass.Rows;
    }

    /// <summary>dL/ds_l for example i of the loss whose gradient in z is <paramref name="dz"/>: g_L = dz,
    /// g_{l-1} = (W_l[:, :in]^T g_l) .* (1 - a_{l-1}^2).</summary>
    public double[][] BackPropagate(double[][,] w, Pass pass, int i, double[] dz)
    {
        var g = new double[Layers][];
        g[Layers - 1] = dz;
        for (int l = Layers - 1; l > 0; l--)
        {
            var prev = new double[Sizes[l]];
            for (int r = 0; r < prev.Length; r++)
            {
                double s = 0;
                for (int o = 0; o < Out(l); o++) s += w[l][o, r] * g[l][o];
                double a = pass.Act[l - 1][i][r];
                prev[r] = s * (1 - a * a);
            }
            g[l - 1] = prev;
        }
        return g;
    }

    /// <summary>Gradient of the mean loss: dL/dW_l = (1/m) sum_i g_l,i abar_l,i^T with g_L = p - t.</summary>
    public double[][,] Gradient(double[][,] w, Pass pass, double[][] t)
    {
        int m = pass.Rows;
        var grad = Enumerable.Range(0, Layers).Select(l => new double[Out(l), DIn(l)]).ToArray();
        for (int i = 0; i < m; i++)
        {
            var dz = pass.P[i].Select((pc, c) => pc - t[i][c]).ToArray();
            var g = BackPropagate(w, pass, i, dz);
            for (int l = 0; l < Layers; l++) RefLinalg.AddOuter(grad[l], g[l], pass.Abar[l][i], 1.0 / m);
        }
        return grad;
    }

    /// <summary>
    /// This batch's K-FAC statistics, computed directly from the activations and the back-propagated columns of the
    /// square root of the output Fisher, b_c = sqrt(p_c) (e_c - p) (FisherEstimation.Exact):
    /// A_l = (1/m) sum_i abar_l abar_l^T, G_l = (1/m) sum_i sum_c g_l g_l^T, and the cross-layer ones of section
    /// 4.3, A_{l,l+1} = (1/m) sum_i abar_l abar_{l+1}^T and G_{l,l+1} = (1/m) sum_i sum_c g_l g_{l+1}^T.
    /// </summary>
    public (double[][,] A, double[][,] G, double[][,] ACross, double[][,] GCross) ExactStatistics(double[][,] w, Pass pass)
    {
        int m = pass.Rows, layers = Layers, classes = Sizes[^1];
        var a = Enumerable.Range(0, layers).Select(l => new double[DIn(l), DIn(l)]).ToArray();
        var g = Enumerable.Range(0, layers).Select(l => new double[Out(l), Out(l)]).ToArray();
        var aCross = Enumerable.Range(0, layers - 1).Select(l => new double[DIn(l), DIn(l + 1)]).ToArray();
        var gCross = Enumerable.Range(0, layers - 1).Select(l => new double[Out(l), Out(l + 1)]).ToArray();
        for (int i = 0; i < m; i++)
        {
            for (int l = 0; l < layers; l++) RefLinalg.AddOuter(a[l], pass.Abar[l][i], pass.Abar[l][i], 1.0 / m);
            for (int l = 0; l + 1 < layers; l++) RefLinalg.AddOuter(aCross[l], pass.Abar[l][i], pass.Abar[l + 1][i], 1.0 / m);
            var p = pass.P[i];
            for (int c = 0; c < classes; c++)
            {
                var b = new double[classes];
                double sq = Math.Sqrt(p[c]);
                for (int j = 0; j < classes; j++) b[j] = sq * ((j == c ? 1 : 0) - p[j]);
                var gs = BackPropagate(w, pass, i, b);
                for (int l = 0; l < layers; l++) RefLinalg.AddOuter(g[l], gs[l], gs[l], 1.0 / m);
                for (int l = 0; l + 1 < layers; l++) RefLinalg.AddOuter(gCross[l], gs[l], gs[l + 1], 1.0 / m);
            }
        }
        return (a, g, aCross, gCross);
    }

    /// <summary>Forward mode: J v for example i, the change of z along the parameter direction v (per layer
    /// [out, in + 1]): ds_l = V_l abar_{l-1} + W_l[:, :in] da_{l-1}, da_l = (1 - a_l^2) .* ds_l.</summary>
    public double[][] JacobianVectorProducts(double[][,] w, Pass pass, double[][,] v)
    {
        var result = new double[pass.Rows][];
        for (int i = 0; i < pass.Rows; i++)
        {
            double[] da = new double[Sizes[0]];
            for (int l = 0; l < Layers; l++)
            {
                var ds = RefLinalg.Multiply(v[l], pass.Abar[l][i]);
                for (int o = 0; o < Out(l); o++)
                    for (int r = 0; r < Sizes[l]; r++) ds[o] += w[l][o, r] * da[r];
                if (l + 1 < Layers)
                {
                    da = new double[Out(l)];
                    for (int o = 0; o < da.Length; o++)
                    {
                        double a = pass.Act[l][i][o];
                        da[o] = (1 - a * a) * ds[o];
                    }
                }
                else result[i] = ds;
            }
        }
        return result;
    }

    /// <summary>u^T F w = (1/m) sum_i (J u)_i^T (diag(p_i) - p_i p_i^T) (J w)_i: the exact mini-batch Fisher
    /// (= Gauss-Newton for softmax cross entropy).</summary>
    public static double FisherForm(Pass pass, double[][] ju, double[][] jw)
    {
        double sum = 0;
        for (int i = 0; i < pass.Rows; i++)
        {
            var p = pass.P[i];
            double pu = RefLinalg.Dot(p, ju[i]), pw = RefLinalg.Dot(p, jw[i]);
            double s = 0;
            for (int c = 0; c < p.Length; c++) s += p[c] * ju[i][c] * jw[i][c];
            sum += s - pu * pw;
        }
        return sum / pass.Rows;
    }
}
