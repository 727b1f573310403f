using System.Globalization;
using Kfac.Metrics;
using ScottPlot;

namespace Kfac.Plot;

/// <summary>
/// Reliability diagrams (Guo et al. 2017, figure 1) as one PNG, a panel per model: per confidence bin a bar at the
/// bin's accuracy, a red "gap" bar from the accuracy to the bin's mean confidence, and the diagonal (perfect
/// calibration); the title gives the accuracy and the expected calibration error. Empty bins have no bar.
/// </summary>
public static class ReliabilityDiagramPlot
{
    public static void SavePng(string path, IReadOnlyList<(string Label, ReliabilityDiagram Diagram)> models, int panelWidth = 420, int panelHeight = 420)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("no reliability diagrams to draw", nameof(models));
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"cannot write '{path}': directory '{directory}' does not exist");
        var multiplot = new Multiplot(Draw(models[0].Label, models[0].Diagram));
        for (int i = 1; i < models.Count; i++) multiplot.AddPlot(Draw(models[i].Label, models[i].Diagram));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(1, models.Count);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            multiplot.SavePng(temp, panelWidth * models.Count, panelHeight);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static ScottPlot.Plot Draw(string label, ReliabilityDiagram d)
    {
        var plot = new ScottPlot.Plot();
        var bars = new List<Bar>();
        foreach (var b in d.Bins)
        {
            if (b.Count == 0) continue;
            double centre = (b.Lower + b.Upper) / 2, width = (b.Upper - b.Lower) * 0.9;
            bars.Add(new Bar { Position = centre, Value = b.Accuracy, Size = width, FillColor = Colors.SteelBlue, LineWidth = 0 });
            bars.Add(new Bar
            {
                Position = centre, ValueBase = b.Accuracy, Value = b.MeanConfidence, Size = width,
                FillColor = Colors.Red.WithAlpha(0.35), LineColor = Colors.Red, LineWidth = 1,
            });
        }
        plot.Add.Bars(bars);
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{label}: accuracy {d.Accuracy:F4}, ECE {d.ExpectedCalibrationError:F4}"), size: 13);
        plot.XLabel($"confidence ({d.Bins.Count} bins)");
        plot.YLabel("accuracy (blue); gap to confidence (red)");
        return plot;
    }
}
