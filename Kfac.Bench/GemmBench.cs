using System.Runtime.Intrinsics;
using Kfac.Cpu;
using Kfac.Cpu.Blas;

namespace Kfac.Bench;

/// <summary>
/// `gemm`: Sgemm/Dgemm GFLOP/s (median after warm-up) for square sizes or the deep-autoencoder shapes, each line with
/// the FMA peak measured in the same run and the fraction of it reached.
/// </summary>
internal sealed class GemmBench : IBenchCommand
{
    public string Name => "gemm";

    public string Description =>
        "GEMM GFLOP/s: --sizes 256,512,1024,2048 | --shapes autoencoder [--batch N] | --shapes kfac-direction | --shapes convnet (its convolution GEMMs) | --shapes convnet-weight-gradient; --threads N; --double; --trans NN|NT|TN|TT; " +
        "--isa 512|256|scalar; --kc K --mc M (blocking override); --inplace 0|1 --thin T (thin operands read in place); --fuse-b 0|1 (B packed inside the tasks with one row block); --reference openblas (the system's OpenBLAS timed in the same run, " +
        "runs alternating; ratio = ours / OpenBLAS in GFLOP/s); --json";

    public int Run(BenchArgs args)
    {
        var o = GemmBenchOptions.Parse(args);
        if (args.String("reference") is { } reference)
        {
            if (reference != "openblas") throw new ArgumentException($"--reference expects openblas, got '{reference}'");
            o.Reference = new OpenBlasReference(o.Threads);
        }
        Peak.Measure(o.Threads, o.Double, runs: 3, cpuTime: o.CpuTime); // warm the loop up
        var shapes = new List<(string Label, bool TA, bool TB, int M, int N, int K)>();
        if (args.String("shapes") is "convnet")
        {
            // The ConvNet's convolution GEMMs at batch 128 as its step runs them: Y = W cols, dW = dY cols^T, W^T dY.
            shapes.Add(("conv2 Y=W cols", false, false, 64, 128 * 196, 800));
            shapes.Add(("conv2 dW=dY cols^T", false, true, 64, 800, 128 * 196));
            shapes.Add(("conv2 W^T dY", true, false, 800, 128 * 196, 64));
            shapes.Add(("conv1 Y=W cols", false, false, 32, 128 * 784, 25));
            shapes.Add(("conv1 dW=dY cols^T", false, true, 32, 25, 128 * 784));
        }
        else if (args.String("shapes") is "convnet-weight-gradient")
        {
            // The ConvNet's conv weight gradients at batch 128 as dW = dY cols^T (B = the patch matrix, transposed) and
            // as its transpose dW^T = cols dY^T (A = the patch matrix, in place order): the same products and sums.
            shapes.Add(("conv2 dW=dY cols^T", false, true, 64, 800, 128 * 196));
            shapes.Add(("conv2 dW^T=cols dY^T", false, true, 800, 64, 128 * 196));
            shapes.Add(("conv1 dW=dY cols^T", false, true, 32, 25, 128 * 784));
            shapes.Add(("conv1 dW^T=cols dY^T", false, true, 25, 32, 128 * 784));
        }
        else if (args.String("shapes") is { } set)
        {
            int[] dims = [784, 1000, 500, 250, 30, 250, 500, 1000, 784];
            int batch = args.Int("batch", 1000);
            for (int l = 0; l + 1 < dims.Length; l++)
            {
                int din = dims[l], dout = dims[l + 1];
                string layer = $"{din}-{dout}";
                switch (set)
                {
                    case "autoencoder":
                        shapes.Add(($"{layer} Y=XW^T", false, true, batch, dout, din));
                        shapes.Add(($"{layer} dX=dYW", false, false, batch, din, dout));
                        shapes.Add(($"{layer} dW=dY^TX", true, false, dout, din, batch));
                        break;
                    case "kfac-direction":
                        // -G^-1 [dW | db] A^-1: (out x out)(out x in+1), then (out x in+1)(in+1 x in+1).
                        shapes.Add(($"{layer} G^-1 V", false, false, dout, din + 1, dout));
                        shapes.Add(($"{layer} T A^-1", false, false, dout, din + 1, din + 1));
                        break;
                    case "kfac-direction-tn":
                        // As WeightBiasMatrix.MultiplyKronecker runs them: T^T = W^T G^-1, then (T^T)^T A^-1[:, :in].
                        shapes.Add(($"{layer} W^T G^-1", true, false, din, dout, dout));
                        shapes.Add(($"{layer} T A^-1", true, false, dout, din, din + 1));
                        break;
                    default:
                        throw new ArgumentException($"--shapes: unknown set '{set}' (known: autoencoder [--batch N], kfac-direction, kfac-direction-tn)");
                }
            }
        }
        else
        {
            foreach (int s in args.IntList("sizes", [256, 512, 1024, 2048])) shapes.Add(($"{s}^3", o.TransA, o.TransB, s, s, s));
        }

        double totalFlops = 0, totalSeconds = 0, totalBest = 0, totalPeakSeconds = 0, totalReferenceSeconds = 0, totalReferenceBest = 0;
        foreach (var (label, ta, tb, m, n, k) in shapes)
        {
            double sec = o.Double ? TimeGemm<double>(o, ta, tb, m, n, k) : TimeGemm<float>(o, ta, tb, m, n, k);
            double flops = 2.0 * m * n * k;
            totalFlops += flops;
            totalSeconds += sec;
            totalBest += o.LastBest;
            totalPeakSeconds += sec * o.LastPeak;
            Report(o, label, o.Double ? "dgemm" : "sgemm", ta, tb, m, n, k, flops / sec / 1e9, sec, o.LastPeak, flops / o.LastBest / 1e9);
            totalReferenceSeconds += o.LastReferenceMedian;
            totalReferenceBest += o.LastReferenceBest;
        }
        if (shapes.Count > 1 && args.String("shapes") is not null)
        {
            o.LastReferenceMedian = totalReferenceSeconds;
            o.LastReferenceBest = totalReferenceBest;
            o.LastBest = totalBest; // Report scales the best rate by LastBest / LastReferenceBest
            Report(o, "total", o.Double ? "dgemm" : "sgemm", false, false, 0, 0, 0, totalFlops / totalSeconds / 1e9, totalSeconds,
                totalPeakSeconds / totalSeconds, totalFlops / totalBest / 1e9);
        }
        return 0;
    }

    internal static void Report(GemmBenchOptions o, string label, string op, bool ta, bool tb, int m, int n, int k,
        double gflops, double seconds, double peak, double bestGflops)
    {
        var fields = new Dictionary<string, object>
        {
            ["op"] = op, ["shape"] = label, ["transA"] = ta, ["transB"] = tb, ["m"] = m, ["n"] = n, ["k"] = k,
            ["threads"] = o.Threads, ["isa"] = o.IsaName, ["gflops"] = Math.Round(gflops, 1),
            ["seconds"] = seconds, ["peak_gflops"] = Math.Round(peak, 1), ["fraction_of_peak"] = Math.Round(gflops / peak, 3),
            ["best_gflops"] = Math.Round(bestGflops, 1),
        };
        if (o.Reference is not null && o.LastReferenceMedian > 0)
        {
            // Same work on both sides, so the GFLOP/s ratio is the inverse time ratio.
            fields["reference"] = "openblas " + o.Reference.CoreName;
            fields["reference_gflops"] = Math.Round(gflops * seconds / o.LastReferenceMedian, 1);
            fields["reference_best_gflops"] = Math.Round(bestGflops * o.LastBest / o.LastReferenceBest, 1);
            fields["ratio_median"] = Math.Round(o.LastReferenceMedian / seconds, 3);
            fields["ratio_best"] = Math.Round(o.LastReferenceBest / o.LastBest, 3);
        }
        JsonLine.Print(o.Json, fields);
    }

    private static double TimeGemm<T>(GemmBenchOptions o, bool ta, bool tb, int m, int n, int k)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(42);
        T[] a = Fill<T>(rng, m * k), b = Fill<T>(rng, k * n), c = new T[m * n];
        int lda = ta ? m : k, ldb = tb ? k : n;
        void Call()
        {
            if (typeof(T) == typeof(float))
                Gemm.Sgemm(ta, tb, m, n, k, 1f, (float[])(object)a, lda, (float[])(object)b, ldb, 0f, (float[])(object)c, n, o.Threads);
            else
                Gemm.Dgemm(ta, tb, m, n, k, 1.0, (double[])(object)a, lda, (double[])(object)b, ldb, 0.0, (double[])(object)c, n, o.Threads);
        }
        if (o.Reference is not { } reference) return o.Time(Call, 2.0 * m * n * k);

        T[] cRef = new T[m * n];
        void CallReference()
        {
            if (typeof(T) == typeof(float))
                reference.Sgemm(ta, tb, m, n, k, 1f, (float[])(object)a, lda, (float[])(object)b, ldb, 0f, (float[])(object)cRef, n);
            else
                reference.Dgemm(ta, tb, m, n, k, 1.0, (double[])(object)a, lda, (double[])(object)b, ldb, 0.0, (double[])(object)cRef, n);
        }
        double seconds = o.TimeInterleaved(Call, CallReference);
        // Both computed the same product: a wrong binding (transposes, leading dimensions) shows here, not as a speed.
        double worst = 0, scale = 0;
        for (int i = 0; i < c.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(double.CreateTruncating(c[i] - cRef[i])));
            scale = Math.Max(scale, Math.Abs(double.CreateTruncating(cRef[i])));
        }
        double tolerance = (typeof(T) == typeof(float) ? 1e-5 : 1e-12) * k * Math.Max(1, scale);
        if (worst > tolerance)
            throw new InvalidOperationException($"gemm {m}x{n}x{k}: our result differs from OpenBLAS's by {worst:g3} (tolerance {tolerance:g3})");
        return seconds;
    }

    internal static T[] Fill<T>(Random rng, int count) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var x = new T[count];
        for (int i = 0; i < count; i++) x[i] = T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return x;
    }
}

/// <summary>Options shared by the gemm and syrk commands.</summary>
internal sealed class GemmBenchOptions
{
    public bool Json, Double, TransA, TransB, CpuTime;
    public int Threads, Runs, Warmup;
    public double MinSeconds;
    public GemmIsa Isa;

    public string IsaName => (Isa == GemmIsa.Auto ? (Vector512.IsHardwareAccelerated ? GemmIsa.Vector512 : GemmIsa.Vector256) : Isa).ToString();

    public static GemmBenchOptions Parse(BenchArgs args)
    {
        var o = new GemmBenchOptions
        {
            Json = args.Flag("json"),
            Double = args.Flag("double"),
            Threads = args.Int("threads", CpuParallel.MaxThreads),
            Runs = args.Int("runs", 0),
            Warmup = args.Int("warmup", 3),
            MinSeconds = args.Double("seconds", 1.0),
            CpuTime = args.Flag("cputime"),
        };
        if (o.CpuTime && (o.Threads != 1 || !OperatingSystem.IsLinux()))
            throw new ArgumentException("--cputime (calling-thread CPU time instead of wall time) needs --threads 1 on Linux");
        if (o.Threads < 1) throw new ArgumentException($"--threads must be >= 1, got {o.Threads}");
        string trans = args.String("trans", "NN")!.ToUpperInvariant();
        if (trans is not ("NN" or "NT" or "TN" or "TT")) throw new ArgumentException($"--trans expects NN, NT, TN or TT, got '{trans}'");
        o.TransA = trans[0] == 'T';
        o.TransB = trans[1] == 'T';
        o.Isa = args.String("isa", "auto") switch
        {
            "auto" => GemmIsa.Auto,
            "512" => GemmIsa.Vector512,
            "256" => GemmIsa.Vector256,
            "scalar" => GemmIsa.Scalar,
            var s => throw new ArgumentException($"--isa expects auto, 512, 256 or scalar, got '{s}'"),
        };
        GemmKernels.Forced = o.Isa;
        GemmBlocking.Kc = args.Int("kc", GemmBlocking.Kc);
        GemmBlocking.McRows = args.Int("mc", GemmBlocking.McRows);
        GemmBlocking.InPlaceThin = args.Int("inplace", GemmBlocking.InPlaceThin ? 1 : 0) != 0;
        GemmBlocking.ThinTiles = args.Int("thin", GemmBlocking.ThinTiles);
        GemmBlocking.FuseBPacking = args.Int("fuse-b", GemmBlocking.FuseBPacking ? 1 : 0) != 0;
        GemmBlocking.PackBByRows = args.Int("pack-b-rows", GemmBlocking.PackBByRows ? 1 : 0) != 0;
        return o;
    }

    /// <summary>The reference BLAS timed alongside (gemm --reference openblas), or null.</summary>
    public OpenBlasReference? Reference;

    /// <summary>Median and fastest seconds of the reference in the last <see cref="TimeInterleaved"/> call (0 when none).</summary>
    public double LastReferenceMedian, LastReferenceBest;

    /// <summary>Times <paramref name="ours"/> and <paramref name="reference"/> in alternation (the order swapped every
    /// run, so neither always follows the other), so load from other processes falls on both alike. Sets LastBest,
    /// LastPeak (one peak run before and after), LastReferenceMedian and LastReferenceBest; returns our median seconds.</summary>
    public double TimeInterleaved(Action ours, Action reference)
    {
        for (int i = 0; i < Warmup; i++) { ours(); reference(); }
        int runs = Runs;
        if (runs <= 0)
        {
            double t = Timing.Median(Timing.Measure(ours, 0, 3));
            runs = (int)Math.Clamp(MinSeconds / Math.Max(t, 1e-7), 7, 500);
        }
        var mine = new double[runs];
        var theirs = new double[runs];
        double peakBefore = Peak.RunOnce(Threads, Double, CpuTime);
        for (int i = 0; i < runs; i++)
        {
            if (i % 2 == 0) { mine[i] = TimeOnce(ours); theirs[i] = TimeOnce(reference); }
            else { theirs[i] = TimeOnce(reference); mine[i] = TimeOnce(ours); }
        }
        double peakAfter = Peak.RunOnce(Threads, Double, CpuTime);
        Array.Sort(mine);
        Array.Sort(theirs);
        LastPeak = 0.5 * (peakBefore + peakAfter);
        LastBest = mine[0];
        LastReferenceBest = theirs[0];
        LastReferenceMedian = Timing.Median(theirs);
        return Timing.Median(mine);
    }

    private double TimeOnce(Action call)
    {
        double t0 = Now();
        call();
        return Now() - t0;
    }

    /// <summary>Fastest run of the last <see cref="Time"/> call (the least disturbed one on a busy machine).</summary>
    public double LastBest;

    /// <summary>Median FMA peak (GFLOP/s on the same thread count) of the peak runs interleaved with the last
    /// <see cref="Time"/> call's timed runs, so both saw the same contention from other processes.</summary>
    public double LastPeak;

    /// <summary>Median seconds per call: warm-up calls, then enough runs to fill about MinSeconds (at least 5), with a
    /// short register-only peak run before the first timed call and after every ~20 ms of timed calls.</summary>
    public double Time(Action call, double flops)
    {
        for (int i = 0; i < Warmup; i++) call();
        int runs = Runs;
        if (runs <= 0)
        {
            double t = Timing.Median(Timing.Measure(call, 0, 3));
            runs = (int)Math.Clamp(MinSeconds / Math.Max(t, 1e-7), 5, 500);
        }
        var seconds = new double[runs];
        var peaks = new List<double>();
        double sincePeak = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            if (sincePeak > 0.02)
            {
                peaks.Add(Peak.RunOnce(Threads, Double, CpuTime));
                sincePeak = 0;
            }
            double t0 = Now();
            call();
            seconds[i] = Now() - t0;
            sincePeak += seconds[i];
        }
        peaks.Add(Peak.RunOnce(Threads, Double, CpuTime));
        Array.Sort(seconds);
        var peakArray = peaks.ToArray();
        Array.Sort(peakArray);
        LastPeak = Timing.Median(peakArray);
        LastBest = seconds[0];
        return Timing.Median(seconds);
    }

    private double Now() => CpuTime ? ThreadCpuSeconds() : System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency;

    /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), for --cputime: on a heavily shared
    /// machine it excludes the time the thread sat descheduled, which wall time cannot. Only meaningful single-threaded.</summary>
    internal static double ThreadCpuSeconds()
    {
        if (clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var ts) != 0) throw new InvalidOperationException("clock_gettime failed");
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out TimeSpec ts);
}
