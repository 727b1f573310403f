namespace Kfac.Plot;

/// <summary>
/// kfac-plot's entry code: parse the command line (<see cref="PlotCommand.Parse"/>), read the logs, write the PNG.
/// A user error (a bad option, a missing or malformed log, a metric no run has, an output directory that does not
/// exist) prints ONE line <c>error: MESSAGE</c> on standard error and returns <see cref="UserErrorExitCode"/>, the
/// examples' code (examples/Common's ExampleMain, which this tool cannot reference: Common references it). Set
/// KFAC_PLOT_DEBUG to also print the exception with its stack trace. Other exceptions are bugs and propagate.
/// </summary>
public static class PlotMain
{
    /// <summary>Exit code for user errors, as the examples'.</summary>
    public const int UserErrorExitCode = 2;

    /// <summary>Runs kfac-plot with <paramref name="args"/>; 0 when the PNG is written.</summary>
    public static int Run(string[] args)
    {
        try
        {
            var (output, runs, options) = PlotCommand.Parse(args);
            TrainingCurves.SavePng(output, runs, options);
            Console.WriteLine($"wrote {output} ({runs.Count} run{(runs.Count == 1 ? "" : "s")})");
            return 0;
        }
        // PlotCommand and TrainingCurves check what the user gave (options, metric names) with ArgumentException;
        // the log readers raise the I/O and data exceptions, naming the file.
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ").Trim()}");
            if (Environment.GetEnvironmentVariable("KFAC_PLOT_DEBUG") is not null) Console.Error.WriteLine(e);
            return UserErrorExitCode;
        }
    }
}
