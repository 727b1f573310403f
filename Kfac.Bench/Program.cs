namespace Kfac.Bench;

/// <summary>
/// Kfac.Bench entry point: `dotnet run -c Release --project Kfac.Bench -- COMMAND [options]`.
/// Each command lives in its own file and implements <see cref="IBenchCommand"/>.
/// </summary>
internal static class Program
{
    private static readonly IBenchCommand[] Commands =
    [
        new GemmBench(),
        new SyrkBench(),
        new DirectionBench(),
        new PeakBench(),
        new StepBench(),
        new FisherQualityBench(),
        new CholeskyBench(),
        new SpdInverseBench(),
        new SpdInversePhasesBench(),
        new EighBench(),
        new EighPhasesBench(),
        new GpuBench(),
        new DataParallelBench(),
        new DistributedKfacBench(),
        new BayesCostBench(),
        new AcktrUpdateBench(),
        new ConvInputGradientBench(),
    ];

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: Kfac.Bench COMMAND [options]\ncommands:");
            foreach (var c in Commands) Console.WriteLine($"  {c.Name,-10} {c.Description}");
            return args.Length == 0 ? 1 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"unknown command '{args[0]}'; run with --help for the list");
            return 2;
        }
        try
        {
            return command.Run(new BenchArgs(args.Skip(1).ToArray()));
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}

/// <summary>One benchmark command (gemm, cholesky, step, ...).</summary>
internal interface IBenchCommand
{
    string Name { get; }
    string Description { get; }
    int Run(BenchArgs args);
}
