using System.Globalization;

namespace Kfac.Tests.Mpi;

/// <summary>The worker's command line: a command, then --name value pairs.</summary>
public sealed record WorkerOptions
{
    public string Command { get; init; } = "";
    public string Communicator { get; init; } = "mpi";
    public string Optimizer { get; init; } = "sgd";
    public int Steps { get; init; } = 25;
    public int BatchSize { get; init; } = 64;
    public int Rank { get; init; } = 1;
    public int AtStep { get; init; } = 5;
    public double? Timeout { get; init; }
    public string? Path { get; init; }
    public string Statistics { get; init; } = "eager";
    public string Inverses { get; init; } = "inverses";
    public int Staleness { get; init; }
    public int BucketBytes { get; init; } = Kfac.Distributed.GradientAllReducer.DefaultBucketBytes;

    public static WorkerOptions Parse(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("usage: Kfac.Tests.Mpi <contract|train|kfac|die|hang|checkpoint|batchnorm> [--name value ...]");
        var o = new WorkerOptions { Command = args[0] };
        for (int i = 1; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
            string v = args[i + 1];
            o = args[i] switch
            {
                "--communicator" => o with { Communicator = v },
                "--optimizer" => o with { Optimizer = v },
                "--steps" => o with { Steps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--batch-size" => o with { BatchSize = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rank" => o with { Rank = int.Parse(v, CultureInfo.InvariantCulture) },
                "--at-step" => o with { AtStep = int.Parse(v, CultureInfo.InvariantCulture) },
                "--timeout" => o with { Timeout = double.Parse(v, CultureInfo.InvariantCulture) },
                "--path" => o with { Path = v },
                "--statistics" => o with { Statistics = v },
                "--inverses" => o with { Inverses = v },
                "--staleness" => o with { Staleness = int.Parse(v, CultureInfo.InvariantCulture) },
                "--bucket-bytes" => o with { BucketBytes = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
