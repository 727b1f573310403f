using System.Globalization;

namespace Kfac.Plot;

/// <summary>The command line of kfac-plot (see Program.cs); every problem is an ArgumentException naming it.</summary>
public static class PlotCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage =
        "usage: kfac-plot --out FILE.png [--metric NAME]... [--steps-only | --seconds-only] [--step-key KEY (default step)] [--kfac | --no-kfac] " +
        "[--log-y | --linear-y] [--title TEXT] [--size WxH (per panel)] LOG.jsonl[=LABEL]...";

    /// <summary>Reads the arguments and the logs they name.</summary>
    public static (string Output, IReadOnlyList<RunLog> Runs, PlotOptions Options) Parse(IReadOnlyList<string> args)
    {
        string? output = null;
        var metrics = new List<string>();
        var runs = new List<RunLog>();
        var options = new PlotOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value; {Usage}");
            switch (a)
            {
                case "--out": output = Value(); break;
                case "--metric": metrics.Add(Value()); break;
                case "--steps-only": options = options with { VersusSeconds = false }; break;
                case "--step-key": options = options with { StepKey = Value() }; break;
                case "--seconds-only": options = options with { VersusSteps = false }; break;
                case "--kfac": options = options with { KfacPanels = true }; break;
                case "--no-kfac": options = options with { KfacPanels = false }; break;
                case "--log-y": options = options with { LogScale = true }; break;
                case "--linear-y": options = options with { LogScale = false }; break;
                case "--title": options = options with { Title = Value() }; break;
                case "--size":
                {
                    string v = Value();
                    var parts = v.Split('x');
                    if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
                        || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || w < 100 || h < 100 || w > 4000 || h > 4000)
                        throw new ArgumentException($"--size wants WIDTHxHEIGHT in pixels per panel, each 100 to 4000, got '{v}'");
                    options = options with { PanelWidth = w, PanelHeight = h };
                    break;
                }
                case "-h" or "--help": throw new ArgumentException(Usage);
                default:
                    if (a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unknown option '{a}'; {Usage}");
                    int eq = a.IndexOf('=');
                    runs.Add(eq > 0 ? RunLog.Read(a[..eq], a[(eq + 1)..]) : RunLog.Read(a));
                    break;
            }
        }
        if (output is null) throw new ArgumentException($"--out FILE.png is required; {Usage}");
        if (!output.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--out must name a .png file, got '{output}'");
        if (runs.Count == 0) throw new ArgumentException($"no logs given; {Usage}");
        if (metrics.Count > 0) options = options with { Metrics = metrics };
        return (output, runs, options);
    }
}
