using System.Globalization;
using System.Text.Json;
using ScottPlot;

namespace Kfac.Plot;

/// <summary>One ELBO estimate of a variational run: the per-epoch record of examples/BayesianRegression's
/// <c>--elbo-log</c> (JSON lines with dataset, method, iteration, elbo, expected_log_likelihood, kl_weights).</summary>
public readonly record struct ElboPoint(string Dataset, string Method, long Iteration, double Elbo, double ExpectedLogLikelihood, double WeightKl);

/// <summary>
/// The ELBO against iterations for each method (Zhang et al. 2018's talk, "Preliminary results: ELBO"): a row per
/// dataset with three panels, the ELBO, its expected log-likelihood term and the weights' KL, a line per method. The
/// ELBO panel's y-range starts at the lowest value after the first 5% of the iterations, so the prior-dominated first
/// epochs do not flatten the rest.
/// </summary>
public static class ElboPlot
{
    /// <summary>Display names of the example's methods (the seed's table labels).</summary>
    public static string Label(string method) => method switch
    {
        "noisy-kfac" => "NG-MVG (noisy K-FAC)",
        "noisy-kfac-eigenbasis" => "NG-MVG, eigenbasis posterior",
        "noisy-adam" => "NG-FFG (noisy Adam)",
        "bbb" => "BBB",
        _ => method,
    };

    public static IReadOnlyList<ElboPoint> ReadJsonLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"ELBO log '{path}' does not exist", path);
        var points = new List<ElboPoint>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            points.Add(Parse(line, $"{path}:{lineNumber}"));
        }
        if (points.Count == 0) throw new InvalidDataException($"ELBO log '{path}' has no records");
        return points;
    }

    public static ElboPoint Parse(string jsonLine, string where = "ELBO record")
    {
        try
        {
            using var doc = JsonDocument.Parse(jsonLine);
            var r = doc.RootElement;
            return new ElboPoint(r.GetProperty("dataset").GetString()!, r.GetProperty("method").GetString()!, r.GetProperty("iteration").GetInt64(),
                r.GetProperty("elbo").GetDouble(), r.GetProperty("expected_log_likelihood").GetDouble(), r.GetProperty("kl_weights").GetDouble());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: not an ELBO record (needs dataset, method, iteration, elbo, expected_log_likelihood, kl_weights): {e.Message}");
        }
    }

    public static void SavePng(string path, IReadOnlyList<ElboPoint> points, int panelWidth = 520, int panelHeight = 400)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("no ELBO records to draw", nameof(points));
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"cannot write '{path}': directory '{directory}' does not exist");
        var datasets = points.Select(p => p.Dataset).Distinct().ToList();
        var methods = points.Select(p => p.Method).Distinct().ToList();
        var plots = new List<ScottPlot.Plot>();
        foreach (var d in datasets)
        {
            plots.Add(Panel(points, d, methods, p => p.Elbo, "ELBO", clipEarly: true));
            plots.Add(Panel(points, d, methods, p => p.ExpectedLogLikelihood, "expected log-likelihood", clipEarly: true));
            plots.Add(Panel(points, d, methods, p => p.WeightKl, "KL(q(w) || p(w))", clipEarly: false));
        }
        var multiplot = new Multiplot(plots[0]);
        for (int i = 1; i < plots.Count; i++) multiplot.AddPlot(plots[i]);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(datasets.Count, 3);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            multiplot.SavePng(temp, panelWidth * 3, panelHeight * datasets.Count);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static ScottPlot.Plot Panel(IReadOnlyList<ElboPoint> points, string dataset, List<string> methods, Func<ElboPoint, double> value, string name, bool clipEarly)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double low = double.PositiveInfinity, high = double.NegativeInfinity, xMax = 0;
        for (int i = 0; i < methods.Count; i++)
        {
            var series = points.Where(p => p.Dataset == dataset && p.Method == methods[i] && double.IsFinite(value(p))).OrderBy(p => p.Iteration).ToArray();
            if (series.Length == 0) continue;
            double[] x = series.Select(p => (double)p.Iteration).ToArray(), y = series.Select(value).ToArray();
            var line = plot.Add.Scatter(x, y, palette.GetColor(i));
            line.LegendText = Label(methods[i]);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            double cut = x[^1] * 0.05;
            for (int j = 0; j < x.Length; j++)
                if (!clipEarly || x[j] >= cut)
                {
                    low = Math.Min(low, y[j]);
                    high = Math.Max(high, y[j]);
                }
            xMax = Math.Max(xMax, x[^1]);
        }
        if (double.IsFinite(low) && high > low)
        {
            double pad = 0.05 * (high - low);
            plot.Axes.SetLimits(0, xMax, low - pad, high + pad);
        }
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{dataset}: {name} vs iterations"), size: 13);
        plot.XLabel("iteration");
        plot.YLabel(name);
        plot.ShowLegend(name == "ELBO" ? Alignment.LowerRight : Alignment.UpperRight);
        return plot;
    }
}
