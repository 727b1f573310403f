using System.Globalization;
using Kfac.Serialization;
using ScottPlot;

namespace Kfac.Plot;

/// <summary>One panel of a figure: <see cref="Metric"/> (y) against <see cref="X"/> ("step" or "seconds").</summary>
public sealed record Panel(string Metric, string X, bool LogY);

/// <summary>
/// Training curves of one or several runs as a PNG grid of panels (ScottPlot 5): a row per metric with the metric
/// against steps and against training seconds, then K-FAC's lambda, gamma (log scale), alpha and mu against steps.
/// Each run keeps its colour in every panel; non-finite values (a diverged loss logs null) are left out.
/// </summary>
public static class TrainingCurves
{
    /// <summary>Metrics drawn by default when present, in this order.</summary>
    public static readonly string[] KnownMetrics =
        ["train_error", "test_error", "train_loss", "validation_loss", "test_loss", "train_accuracy", "validation_accuracy", "test_accuracy"];

    /// <summary>K-FAC's adapted quantities: damping lambda and gamma, step alpha and momentum mu.</summary>
    public static readonly string[] KfacQuantities = ["lambda", "gamma", "alpha", "mu"];

    private static readonly HashSet<string> NotMetrics = ["step", "epoch", "seconds", "batch_size", "seed", .. KfacQuantities];

    /// <summary>The panels <paramref name="options"/> asks for, row by row, and the number of columns.</summary>
    public static (IReadOnlyList<Panel> Panels, int Columns) Layout(IReadOnlyList<RunLog> runs, PlotOptions options)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(options);
        if (runs.Count == 0) throw new ArgumentException("no runs to plot", nameof(runs));
        if (!options.VersusSteps && !options.VersusSeconds)
            throw new ArgumentException("draw against steps, seconds or both", nameof(options));
        var xs = new List<string>();
        if (options.VersusSteps) xs.Add(options.StepKey);
        if (options.VersusSeconds) xs.Add("seconds");
        var metrics = options.Metrics?.ToList() ?? KnownMetrics.Where(m => runs.Any(r => r.Has(m))).ToList();
        if (options.Metrics is null && metrics.Count == 0)
            metrics = runs.SelectMany(r => r.Records.SelectMany(rec => rec.Keys)).Distinct()
                .Where(k => !NotMetrics.Contains(k) && k != options.StepKey && runs.Any(r => r.Has(k))).ToList();
        foreach (var m in metrics)
            if (!runs.Any(r => r.Has(m)))
                throw new ArgumentException($"no run has the metric '{m}' (runs: {string.Join(", ", runs.Select(r => r.Source))}; " +
                    $"their keys: {string.Join(", ", runs.SelectMany(r => r.Records.SelectMany(rec => rec.Keys)).Distinct())})", nameof(options));
        var panels = new List<Panel>();
        foreach (var m in metrics)
        {
            bool log = options.LogScale ?? ((m.Contains("loss", StringComparison.Ordinal) || m.Contains("error", StringComparison.Ordinal)) && AllPositive(runs, m));
            foreach (var x in xs) panels.Add(new Panel(m, x, log));
        }
        bool kfac = options.KfacPanels ?? runs.Any(r => r.Has("lambda"));
        if (kfac)
            foreach (var q in KfacQuantities)
                panels.Add(new Panel(q, options.StepKey, q is "lambda" or "gamma" && AllPositive(runs, q)));
        if (panels.Count == 0) throw new ArgumentException("nothing to draw: no metric and no K-FAC quantities", nameof(options));
        return (panels, xs.Count == 1 && kfac ? 2 : xs.Count);
    }

    /// <summary>Draws the figure and writes it to <paramref name="path"/> as PNG, atomically (temporary file in the
    /// same directory, then a rename).</summary>
    public static void SavePng(string path, IReadOnlyList<RunLog> runs, PlotOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new PlotOptions();
        var (panels, columns) = Layout(runs, options);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"cannot write '{path}': directory '{directory}' does not exist");
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            // new Multiplot(plot) starts with that one plot (the parameterless constructor adds an empty one).
            var multiplot = new Multiplot(Draw(runs, panels[0], options.Title, showLegend: true));
            for (int i = 1; i < panels.Count; i++) multiplot.AddPlot(Draw(runs, panels[i], null, showLegend: i % columns == 0));
            int rows = (panels.Count + columns - 1) / columns;
            multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
            multiplot.SavePng(temp, options.PanelWidth * columns, options.PanelHeight * rows);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static ScottPlot.Plot Draw(IReadOnlyList<RunLog> runs, Panel panel, string? title, bool showLegend)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        for (int i = 0; i < runs.Count; i++)
        {
            var (x, y) = runs[i].Series(panel.X, panel.Metric);
            if (x.Length == 0) continue;
            if (panel.LogY) y = y.Select(Math.Log10).ToArray();
            low = Math.Min(low, y.Min());
            high = Math.Max(high, y.Max());
            var line = plot.Add.Scatter(x, y, palette.GetColor(i));
            line.LegendText = runs[i].Label;
            line.LineWidth = 2;
            line.MarkerSize = x.Length <= 40 ? 4 : 0;
        }
        if (panel.LogY)
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                // Ticks at powers of ten when the data spans two decades or more; within a narrower range ticks
                // at whole powers would leave the axis unlabelled, so they fall between (still labelled 10^v).
                IntegerTicksOnly = high - low >= 2,
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
            };
        string xLabel = panel.X == "seconds" ? "training seconds" : panel.X;
        plot.Title((title is null ? "" : title + ": ") + $"{panel.Metric} vs {xLabel}" + (panel.LogY ? " (log)" : ""), size: 14);
        plot.XLabel(xLabel);
        plot.YLabel(panel.Metric);
        if (showLegend && runs.Count > 0) plot.ShowLegend(Alignment.UpperRight);
        else plot.HideLegend();
        return plot;
    }

    private static bool AllPositive(IReadOnlyList<RunLog> runs, string key) =>
        runs.All(r => r.Series("step", key).Y.All(v => v > 0));
}
