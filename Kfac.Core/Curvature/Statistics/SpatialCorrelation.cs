using System.Globalization;
using System.Text;
using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// A check of KFC's spatial assumptions (Grosse and Martens 2016, section 3; the talk's "are the derivatives
/// spatially uncorrelated?" figure) for one convolution layer on one batch: the spatial autocorrelation of the
/// layer's input activations a and of its output derivatives g at offsets (dy, dx). KFC's "spatially
/// uncorrelated derivatives" assumption says the derivative correlation is near 0 at every nonzero offset;
/// activations are typically strongly correlated, which KFC does not need to assume away.
/// <para>For a tensor z [N, C, H, W] (derivatives: the captured gradients of every backward pass, scaled to
/// per-example g = m dMeanLoss/ds), per channel c with mean mu_c and variance var_c over (n, h, w):
/// rho_c(dy, dx) = mean over all in-bounds pairs ((h, w), (h + dy, w + dx)) and n of
/// (z[n, c, h, w] - mu_c)(z[n, c, h + dy, w + dx] - mu_c) / var_c, and rho is the mean of rho_c over channels
/// with var_c &gt; 0 (NaN if there is none). rho(0, 0) = 1 and rho(-d) = rho(d).</para>
/// </summary>
public sealed record SpatialCorrelation(
    string Layer,
    IReadOnlyList<(int Dy, int Dx)> Offsets,
    double[] ActivationCorrelation,
    double[] DerivativeCorrelation)
{
    /// <summary>The offsets (dy, dx) with |dy|, |dx| &lt;= radius, row-major from (-radius, -radius).</summary>
    public static IReadOnlyList<(int Dy, int Dx)> Square(int radius)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        var offsets = new List<(int, int)>();
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++) offsets.Add((dy, dx));
        return offsets;
    }

    /// <summary>One result per convolution capture (in forward order) of a batch whose backward passes have
    /// been captured (e.g. by <see cref="FisherTargets.Backpropagate"/>).</summary>
    public static IReadOnlyList<SpatialCorrelation> Measure(IReadOnlyList<LayerCapture> captures, int radius = 2)
    {
        ArgumentNullException.ThrowIfNull(captures);
        var offsets = Square(radius);
        var results = new List<SpatialCorrelation>();
        foreach (var c in captures)
        {
            if (c.Tag is not ConvTag) continue;
            if (c.OutputGradients.Count == 0)
                throw new InvalidOperationException($"{c.Tag}: no output gradients were captured; run a backward pass with the recorder capturing gradients first");
            var a = c.Input.ToDoubleArray();
            var s = c.Input.Shape;
            var activation = Autocorrelation(a, s[0], s[1], s[2], s[3], offsets);
            var o = c.Output.Shape;
            int m = o[0], per = c.Output.Numel;
            var g = new double[per * c.OutputGradients.Count];
            for (int j = 0; j < c.OutputGradients.Count; j++)
            {
                var gj = c.OutputGradients[j].ToDoubleArray();
                for (int i = 0; i < per; i++) g[j * per + i] = m * gj[i];
            }
            var derivative = Autocorrelation(g, m * c.OutputGradients.Count, o[1], o[2], o[3], offsets);
            results.Add(new SpatialCorrelation(c.Tag.Description, offsets, activation, derivative));
        }
        return results;
    }

    /// <summary>rho(dy, dx) for each offset, for z [n, c, h, w] in row-major order (see the type's summary).</summary>
    public static double[] Autocorrelation(ReadOnlySpan<double> z, int n, int c, int h, int w, IReadOnlyList<(int Dy, int Dx)> offsets)
    {
        if (z.Length != n * c * h * w)
            throw new ArgumentException($"data has {z.Length} elements, [{n}, {c}, {h}, {w}] needs {n * c * h * w}", nameof(z));
        var sums = new double[offsets.Count];
        int channels = 0;
        int plane = h * w;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++)
            {
                var p = z.Slice((i * c + ch) * plane, plane);
                for (int k = 0; k < plane; k++) mean += p[k];
            }
            mean /= (double)n * plane;
            for (int i = 0; i < n; i++)
            {
                var p = z.Slice((i * c + ch) * plane, plane);
                for (int k = 0; k < plane; k++) var += (p[k] - mean) * (p[k] - mean);
            }
            var /= (double)n * plane;
            if (!(var > 0)) continue;
            channels++;
            for (int o = 0; o < offsets.Count; o++)
            {
                var (dy, dx) = offsets[o];
                int y0 = Math.Max(0, -dy), y1 = Math.Min(h, h - dy), x0 = Math.Max(0, -dx), x1 = Math.Min(w, w - dx);
                if (y0 >= y1 || x0 >= x1)
                {
                    sums[o] = double.NaN;
                    continue;
                }
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    var p = z.Slice((i * c + ch) * plane, plane);
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++)
                            s += (p[y * w + x] - mean) * (p[(y + dy) * w + x + dx] - mean);
                }
                sums[o] += s / ((double)n * (y1 - y0) * (x1 - x0)) / var;
            }
        }
        for (int o = 0; o < sums.Length; o++) sums[o] = channels == 0 ? double.NaN : sums[o] / channels;
        return sums;
    }

    /// <summary>Two grids (rows dy, columns dx) when the offsets are a full square, else one row per offset.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"spatial autocorrelation, {Layer}");
        int radius = (int)Math.Round((Math.Sqrt(Offsets.Count) - 1) / 2);
        if (Offsets.SequenceEqual(Square(radius)))
        {
            int side = 2 * radius + 1;
            sb.AppendLine();
            sb.Append("activations a".PadRight(6 + 8 * side)).Append("  |  derivatives g").AppendLine();
            Header(sb, radius);
            sb.Append("  |  ");
            Header(sb, radius);
            sb.AppendLine();
            for (int dy = -radius; dy <= radius; dy++)
            {
                Row(sb, ActivationCorrelation, dy, radius);
                sb.Append("  |  ");
                Row(sb, DerivativeCorrelation, dy, radius);
                sb.AppendLine();
            }
            return sb.ToString().TrimEnd();
        }
        sb.AppendLine();
        sb.AppendLine("  offset (dy, dx)   activations   derivatives");
        for (int i = 0; i < Offsets.Count; i++)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"  {$"({Offsets[i].Dy}, {Offsets[i].Dx})",-15}   {ActivationCorrelation[i],11:F4}   {DerivativeCorrelation[i],11:F4}");
        return sb.ToString().TrimEnd();
    }

    private static void Header(StringBuilder sb, int radius)
    {
        sb.Append("dy\\dx ");
        for (int dx = -radius; dx <= radius; dx++) sb.Append(CultureInfo.InvariantCulture, $"{dx,8}");
    }

    private static void Row(StringBuilder sb, double[] values, int dy, int radius)
    {
        int side = 2 * radius + 1;
        sb.Append(CultureInfo.InvariantCulture, $"{dy,5} ");
        for (int dx = -radius; dx <= radius; dx++) sb.Append(CultureInfo.InvariantCulture, $"{values[(dy + radius) * side + dx + radius],8:F4}");
    }
}
