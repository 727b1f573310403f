using Kfac.Plot;

// kfac-plot: training curves of one or several runs from metrics logs (JSON lines) as one PNG.
//   kfac-plot --out FILE.png [--metric NAME]... [--steps-only | --seconds-only] [--kfac | --no-kfac]
//             [--log-y | --linear-y] [--title TEXT] [--size WxH] LOG.jsonl[=LABEL]...
// Exit codes: 0 written, 2 a usage or input error (one line on stderr, no stack trace).
try
{
    var (output, runs, options) = PlotCommand.Parse(args);
    TrainingCurves.SavePng(output, runs, options);
    Console.WriteLine($"wrote {output} ({runs.Count} run{(runs.Count == 1 ? "" : "s")})");
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException)
{
    Console.Error.WriteLine($"kfac-plot: {e.Message}");
    if (Environment.GetEnvironmentVariable("KFAC_PLOT_DEBUG") is not null) Console.Error.WriteLine(e);
    return 2;
}
