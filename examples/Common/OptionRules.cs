using System.Text.RegularExpressions;
using Kfac.Serialization;

namespace Kfac.Examples;

/// <summary>
/// The examples' option checks, single and cross-option, run by <see cref="ExampleCommand.Read"/> before any data
/// is loaded, any log is opened or any step is taken. Each failure is a <see cref="UsageException"/> naming the
/// option(s) and the value(s).
/// </summary>
public static partial class OptionRules
{
    /// <summary>Checks <paramref name="s"/> and returns it; see the class summary.</summary>
    public static RunSettings Validate(RunSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        OneOf("--optimizer", s.Optimizer, "sgd", "momentum", "nesterov", "adam", "kfac");
        var k = s.Choice.Kfac;
        OneOf("--data", s.Data, "embedded", "fashion-mnist");
        OneOf("--distributed", s.Distributed, "none", "mpi");
        if (!DevicePattern().IsMatch(s.Device))
            throw new UsageException($"--device must be {ExampleDevices.Accepted}; got '{s.Device}'");
        Require(s.Device == "cpu" || s.Distributed == "none", $"--distributed {s.Distributed} trains on the CPU only (the ranks exchange host memory); got --device {s.Device}");
        Require(s.ValidationFraction is >= 0 and < 1, $"--validation must be a fraction in [0, 1); got {s.ValidationFraction}");
        Require(s.BatchSize > 0, $"--batch-size must be positive; got {s.BatchSize}");
        Require(s.Epochs is null or > 0, $"--epochs must be positive; got {s.Epochs}");
        Require(s.Steps is null or > 0, $"--steps must be positive; got {s.Steps}");
        Require(s.Seconds is null || (double.IsFinite(s.Seconds.Value) && s.Seconds > 0), $"--seconds must be a positive number of seconds; got {s.Seconds}");
        Require(s.Threads >= 0, $"--threads must be 0 (all cores) or a positive count; got {s.Threads}");
        Require(double.IsFinite(s.LogEverySeconds) && s.LogEverySeconds > 0, $"--log-every must be a positive number of seconds; got {s.LogEverySeconds}");
        Require(s.EvaluateEverySteps is null or > 0, $"--eval-every-steps must be positive; got {s.EvaluateEverySteps}");
        Require(s.EvaluateEveryEpochs is null or > 0, $"--eval-every-epochs must be positive; got {s.EvaluateEveryEpochs}");
        Require(s.LearningRate is null || (double.IsFinite(s.LearningRate.Value) && s.LearningRate > 0), $"--lr must be a finite positive number; got {s.LearningRate}");
        foreach (double momentum in new[] { s.Choice.Sgd.Momentum, k.Momentum })
            Require(double.IsFinite(momentum) && momentum >= 0 && momentum < 1, $"--momentum must be in [0, 1); got {momentum}");
        Require(double.IsFinite(k.InitialLambda) && k.InitialLambda > 0, $"--lambda must be a finite positive number; got {k.InitialLambda}");
        Require(double.IsFinite(k.MinLambda) && k.MinLambda > 0, $"--min-lambda must be a finite positive number; got {k.MinLambda}");
        Require(k.InitialLambda >= k.MinLambda, $"--lambda {k.InitialLambda} is below --min-lambda {k.MinLambda}: the damping starts above its lower bound");
        Require(double.IsFinite(k.L2) && k.L2 >= 0, $"--l2 must be a finite number >= 0; got {k.L2}");
        Require(k.StatisticsFraction is > 0 and <= 1, $"--stats-fraction must be in (0, 1]; got {k.StatisticsFraction}");
        Require(k.QuadraticModelFraction is > 0 and <= 1, $"--quad-fraction must be in (0, 1]; got {k.QuadraticModelFraction}");
        Require(k.RhoFraction is > 0 and <= 1, $"--rho-fraction must be in (0, 1]; got {k.RhoFraction}");
        Require(k.Decay is >= 0 and < 1, $"--stats-decay must be in [0, 1); got {k.Decay}");
        Require(k.LambdaDecay is > 0 and < 1, $"--lambda-decay must be in (0, 1); got {k.LambdaDecay}");
        Require(k.InverseInterval > 0, $"--inverse-interval must be positive; got {k.InverseInterval}");
        Require(k.InverseStaleness >= 0, $"--inverse-staleness must be 0 (synchronous inverses) or a positive number of steps; got {k.InverseStaleness}");
        Require(k.InverseStaleness < k.InverseInterval, $"--inverse-staleness {k.InverseStaleness} must be below --inverse-interval {k.InverseInterval}: a background refresh is installed before the next one is due");
        Require(k.StatisticsInterval > 0, $"--stats-interval must be positive; got {k.StatisticsInterval}");
        Require(double.IsFinite(k.KlClip) && k.KlClip > 0, $"--kl-clip must be a finite positive number; got {k.KlClip}");
        if (s.Resume is not null && !File.Exists(s.Resume))
            throw new UsageException(Directory.Exists(s.Resume) ? $"--resume {s.Resume} is a directory, not a checkpoint file" : $"--resume {s.Resume}: the file does not exist");
        WritableFile("--checkpoint", s.Checkpoint);
        WritableFile("--log", s.Log);
        WritableFile("--export-onnx", s.ExportOnnx);
        WritableFile("--plot", s.Plot);
        try
        {
            RunOutputs.Validate(s);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message, e);
        }
        try
        {
            // What the rules above do not cover (every field of the options records, e.g. Nesterov's needs).
            s.Choice.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{s.Optimizer} options: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        // Last: opening a GPU loads the driver and compiles the kernels, worth doing only for a valid command line.
        return s with { ComputeDevice = ExampleDevices.Open(s.Device) };
    }

    /// <summary>A file the run will write: its directory must exist and be writable, and it must not be a
    /// directory. Checked now so that a typo is reported before training, not at the first save.</summary>
    public static void WritableFile(string option, string? path)
    {
        if (path is null) return;
        if (path.Length == 0) throw new UsageException($"{option} needs a file name");
        if (Directory.Exists(path)) throw new UsageException($"{option} {path} is a directory; give a file name");
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new UsageException($"{option} {path}: directory '{directory}' does not exist");
        // Probe with a file named like AtomicFile's temporaries (removed at once; a leftover is cleaned up later).
        string probe = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UsageException($"{option} {path}: cannot write in directory '{directory}' ({e.Message})", e);
        }
    }

    /// <summary>A <see cref="UsageException"/> naming <paramref name="option"/> and <paramref name="value"/> unless
    /// the value is one of <paramref name="allowed"/>.</summary>
    internal static void OneOf(string option, string value, params string[] allowed)
    {
        if (Array.IndexOf(allowed, value) < 0)
            throw new UsageException($"{option} must be {string.Join(", ", allowed[..^1])} or {allowed[^1]}; got '{value}'");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new UsageException(message);
    }

    [GeneratedRegex("^(cpu|cuda|gpu|cuda:[0-9]+|ilgpu-cpu|ilgpu-cpu:[0-9]+)$")]
    private static partial Regex DevicePattern();
}
