using System.Diagnostics;
using Kfac.Linalg;

namespace Kfac.Bench;

/// <summary>
/// `cholesky`: blocked Cholesky (Kfac.Linalg.Cholesky.Factor) seconds and GFLOP/s at n^3/3 flops, median after
/// warm-up; the matrix copy before each run is not timed. --float times the float32 path.
/// </summary>
internal sealed class CholeskyBench : IBenchCommand
{
    public string Name => "cholesky";

    public string Description => "Cholesky A = L L^T: --sizes 512,1024,2048 --threads N (0 = all) --float --runs R --warmup W --json";

    public int Run(BenchArgs args)
    {
        var o = LinalgBenchOptions.Parse(args);
        foreach (int n in o.Sizes)
        {
            var seconds = o.Float ? Time<float>(n, o) : Time<double>(n, o);
            o.Report("cholesky", n, seconds, n * (double)n * n / 3, o.Float ? "float32" : "float64", "n^3/3 flops");
        }
        return 0;
    }

    private static Measurement Time<T>(int n, LinalgBenchOptions o) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = LinalgBenchOptions.DiagonallyDominant<T>(n, seed: n);
        var work = new T[a.Length];
        return LinalgBenchOptions.Median(o, () => a.CopyTo(work, 0), () => Cholesky.Factor<T>(work, n, n, o.Threads));
    }
}

/// <summary>
/// `spdinverse`: SPD inverse through Cholesky (potrf + trtri + lauum-by-SYRK, about n^3 flops), in float64, or with
/// --float the K-FAC path GuardedSpdInverse on float32 (symmetrise, check, factor and invert in float32).
/// </summary>
internal sealed class SpdInverseBench : IBenchCommand
{
    public string Name => "spdinverse";

    public string Description => "SPD inverse A^-1: --sizes 512,1024,2048 --threads N --float (guarded float32 path) --runs R --warmup W --json";

    public int Run(BenchArgs args)
    {
        var o = LinalgBenchOptions.Parse(args);
        foreach (int n in o.Sizes)
        {
            Measurement seconds;
            if (o.Float)
            {
                var a = LinalgBenchOptions.DiagonallyDominant<float>(n, seed: n);
                var inv = new float[a.Length];
                seconds = LinalgBenchOptions.Median(o, () => { }, () => GuardedSpdInverse.Invert(a, n, inv, 0, o.Threads));
            }
            else
            {
                var a = LinalgBenchOptions.DiagonallyDominant<double>(n, seed: n);
                var inv = new double[a.Length];
                seconds = LinalgBenchOptions.Median(o, () => { }, () => Spd.Inverse<double>(a, n, inv, o.Threads));
            }
            o.Report(o.Float ? "guarded_spdinverse" : "spdinverse", n, seconds, (double)n * n * n,
                o.Float ? "float32" : "float64", "n^3 flops (potrf n^3/3 + trtri n^3/3 + lauum n^3/3)");
        }
        return 0;
    }
}

/// <summary>Wall-clock median and best, and the median process CPU time (all threads): on the shared, oversubscribed
/// machine a single-threaded run's CPU time is close to what the wall time would be on an idle one.</summary>
internal readonly record struct Measurement(double Median, double Best, double CpuMedian);

/// <summary>Options and helpers shared by the Linalg bench commands (cholesky, spdinverse, eigh).</summary>
internal sealed record LinalgBenchOptions(int[] Sizes, int Threads, bool Float, bool ValuesOnly, int Warmup, int Runs, bool Json)
{
    public static LinalgBenchOptions Parse(BenchArgs args) => new(
        args.IntList("sizes", [512, 1024, 2048]),
        args.Int("threads", 0),
        args.Flag("float"),
        args.Flag("values-only"),
        args.Int("warmup", 1),
        args.Int("runs", 5),
        args.Flag("json"));

    public int ReportedThreads => Threads <= 0 ? Environment.ProcessorCount : Math.Min(Threads, Environment.ProcessorCount);

    public void Report(string op, int n, Measurement seconds, double flops, string precision, string flopsNote) =>
        JsonLine.Print(Json, new Dictionary<string, object>
        {
            ["op"] = op, ["n"] = n, ["threads"] = ReportedThreads, ["precision"] = precision,
            ["seconds"] = seconds.Median, ["gflops"] = Math.Round(flops / seconds.Median / 1e9, 2),
            ["best_seconds"] = seconds.Best, ["best_gflops"] = Math.Round(flops / seconds.Best / 1e9, 2),
            ["cpu_seconds"] = seconds.CpuMedian,
            ["flops"] = flopsNote, ["runs"] = Runs, ["loadavg"] = LoadAverage(),
        });

    /// <summary>The 1-minute load average (Linux), recorded because the machine is shared and timings are noisy.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>Median and best seconds of <paramref name="body"/> over Runs timed runs after the untimed warm-up;
    /// <paramref name="setup"/> runs before each and is not timed.</summary>
    public static Measurement Median(LinalgBenchOptions o, Action setup, Action body)
    {
        // Warm up for at least Warmup runs and 1 s (up to 50 runs), so tiered JIT has promoted the kernels to
        // optimised code before timing: with a single warm-up the first size measured ran 5x slow.
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 50 && (i < o.Warmup || Stopwatch.GetElapsedTime(start).TotalSeconds < 1.0); i++)
        {
            setup();
            body();
        }
        var seconds = new double[Math.Max(1, o.Runs)];
        var cpu = new double[seconds.Length];
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < seconds.Length; i++)
        {
            setup();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            body();
            seconds[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpu0).TotalSeconds;
        }
        Array.Sort(seconds);
        Array.Sort(cpu);
        return new Measurement(Timing.Median(seconds), seconds[0], Timing.Median(cpu));
    }

    /// <summary>Symmetric with uniform(-1, 1) off the diagonal and n + 1 on it: SPD by Gershgorin, built in O(n^2)
    /// (the Cholesky flop count does not depend on the values).</summary>
    public static T[] DiagonallyDominant<T>(int n, int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var a = new T[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++) a[i * n + j] = a[j * n + i] = T.CreateTruncating(2 * rng.NextDouble() - 1);
            a[i * n + i] = T.CreateTruncating(n + 1.0);
        }
        return a;
    }
}

/// <summary>Where the guarded float32 SPD inverse spends its time, phase by phase (median seconds per phase):
/// the O(n^2) guards (finiteness check, symmetrise + damp, final finiteness check and copy), the Cholesky factor
/// (potrf), the triangular inverse (trtri) and the product L^-T L^-1 with its mirror (lauum).</summary>
internal sealed class SpdInversePhasesBench : IBenchCommand
{
    public string Name => "spdinverse-phases";

    public string Description => "guarded float32 SPD inverse split into phases: --sizes 1000,3137 --threads N --runs R --json " +
        "[--potrf-block NB (Cholesky's block width) --trtri-block NB (the triangular inverse's)]";

    public int Run(BenchArgs args)
    {
        var o = LinalgBenchOptions.Parse(args);
        int potrfBlock = args.Int("potrf-block", Cholesky.DefaultBlockSize), trtriBlock = args.Int("trtri-block", TriangularInverse.BlockFor(o.Threads));
        foreach (int n in o.Sizes)
        {
            var a = LinalgBenchOptions.DiagonallyDominant<float>(n, seed: n);
            var l = new float[a.Length];
            var inv = new float[a.Length];
            var factored = new float[a.Length];
            a.CopyTo(factored, 0);
            Cholesky.Factor<float>(factored, n, n, o.Threads, potrfBlock);
            var guards = LinalgBenchOptions.Median(o, () => { }, () =>
            {
                MatrixChecks.Finite<float>(a, n, n, n, "a");
                GuardedSpdInverse.SymmetrizedDamped<float, float>(a, n, 0, l);
                if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(inv)) throw new InvalidOperationException();
                inv.AsSpan().CopyTo(l);
            });
            var symmetrize = LinalgBenchOptions.Median(o, () => { }, () => GuardedSpdInverse.SymmetrizedDamped<float, float>(a, n, 0, l));
            var potrf = LinalgBenchOptions.Median(o, () => a.CopyTo(l, 0), () => Cholesky.Factor<float>(l, n, n, o.Threads, potrfBlock));
            var trtri = LinalgBenchOptions.Median(o, () => factored.CopyTo(l, 0), () => TriangularInverse.InvertLower<float>(l, n, n, o.Threads, trtriBlock));
            var both = LinalgBenchOptions.Median(o, () => factored.CopyTo(l, 0), () => Spd.InverseFromFactor<float>(l, n, inv, o.Threads, Spd.InverseBlockSize, trtriBlock));
            JsonLine.Print(o.Json, new Dictionary<string, object>
            {
                ["op"] = "guarded_spdinverse_phases", ["n"] = n, ["threads"] = o.ReportedThreads,
                ["guards_seconds"] = guards.Median, ["symmetrize_seconds"] = symmetrize.Median, ["potrf_seconds"] = potrf.Median, ["trtri_seconds"] = trtri.Median,
                ["lauum_and_mirror_seconds"] = both.Median - trtri.Median,
                ["potrf_gflops"] = Math.Round(n * (double)n * n / 3 / potrf.Median / 1e9, 1),
                ["trtri_gflops"] = Math.Round(n * (double)n * n / 3 / trtri.Median / 1e9, 1),
            });
        }
        return 0;
    }
}
