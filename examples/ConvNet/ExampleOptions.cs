using System.Globalization;

namespace Kfac.Examples.ConvNet;

/// <summary>Command-line options of the example (<c>--name value</c> and <c>--flag</c>), validated once.</summary>
public sealed record ExampleOptions
{
    public string Optimizer { get; init; } = "kfac";
    public string Data { get; init; } = "embedded";
    public bool BatchNorm { get; init; }
    public double Seconds { get; init; } = double.PositiveInfinity;
    public int Epochs { get; init; } = 1;
    public int BatchSize { get; init; } = 128;
    /// <summary>Learning rate; null means the optimizer's default (for K-FAC: the quadratic-model step size).</summary>
    public double? LearningRate { get; init; }
    public int Seed { get; init; } = 1;
    public string? LogPath { get; init; }
    public bool Diagnostics { get; init; }
    /// <summary>Evaluate on the test set and log every this many steps (0: at the end of each epoch only).</summary>
    public int EvalEvery { get; init; }

    public const string Usage =
        "usage: ConvNet [--optimizer kfac|sgd|momentum|adam] [--data embedded|fashion-mnist] [--batchnorm]\n" +
        "               [--seconds S] [--epochs E] [--batch-size B] [--lr LR] [--seed N] [--log FILE.jsonl]\n" +
        "               [--eval-every STEPS] [--diagnostics]\n" +
        "  kfac without --lr chooses step sizes from the quadratic model (Martens and Grosse 2015, section 7);\n" +
        "  with --lr it uses that fixed rate and momentum 0.9. Defaults: sgd 0.05, momentum 0.01 (mu 0.9), adam 0.001.";

    public static ExampleOptions Parse(string[] args)
    {
        var o = new ExampleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--optimizer" => o with { Optimizer = Value() },
                "--data" => o with { Data = Value() },
                "--batchnorm" => o with { BatchNorm = true },
                "--seconds" => o with { Seconds = Number(Value(), "--seconds") },
                "--epochs" => o with { Epochs = (int)Number(Value(), "--epochs") },
                "--batch-size" => o with { BatchSize = (int)Number(Value(), "--batch-size") },
                "--lr" => o with { LearningRate = Number(Value(), "--lr") },
                "--seed" => o with { Seed = (int)Number(Value(), "--seed") },
                "--log" => o with { LogPath = Value() },
                "--eval-every" => o with { EvalEvery = (int)Number(Value(), "--eval-every") },
                "--diagnostics" => o with { Diagnostics = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        return o.Validate();
    }

    private static double Number(string text, string name) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw new ArgumentException($"{name} expects a number, got '{text}'");

    private ExampleOptions Validate()
    {
        if (Optimizer is not ("kfac" or "sgd" or "momentum" or "adam")) throw new ArgumentException($"--optimizer {Optimizer}: expected kfac, sgd, momentum or adam");
        if (Data is not ("embedded" or "fashion-mnist")) throw new ArgumentException($"--data {Data}: expected embedded or fashion-mnist");
        if (!(Seconds > 0)) throw new ArgumentException($"--seconds must be positive, got {Seconds}");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 2) throw new ArgumentException($"--batch-size must be at least 2, got {BatchSize}");
        if (LearningRate is { } lr && !(lr > 0)) throw new ArgumentException($"--lr must be positive, got {lr}");
        if (EvalEvery < 0) throw new ArgumentException($"--eval-every must be >= 0, got {EvalEvery}");
        return this;
    }
}
