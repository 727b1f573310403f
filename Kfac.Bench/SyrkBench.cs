using Kfac.Cpu;

namespace Kfac.Bench;

/// <summary>
/// `syrk`: Ssyrk/Dsyrk C = X^T X with X m x n (--m, default 1000 = the K-FAC batch; --m 0 means m = n), GFLOP/s counted
/// as m*n*(n+1), next to the full GEMM X^T X on the same data (speedup = gemm seconds / syrk seconds).
/// </summary>
internal sealed class SyrkBench : IBenchCommand
{
    public string Name => "syrk";
    public string Description => "covariance X^T X GFLOP/s (m*n*(n+1) flops) vs full GEMM: --sizes n,... --m M; --threads N; --double; --json";

    public int Run(BenchArgs args)
    {
        var o = GemmBenchOptions.Parse(args);
        int mArg = args.Int("m", 1000);
        double peak = Peak.Measure(o.Threads, o.Double);
        foreach (int n in args.IntList("sizes", [250, 500, 1000, 2000]))
        {
            int m = mArg == 0 ? n : mArg;
            var (syrk, gemm, best) = o.Double ? TimeBoth<double>(o, m, n) : TimeBoth<float>(o, m, n);
            double flops = (double)m * n * (n + 1);
            JsonLine.Print(o.Json, new Dictionary<string, object>
            {
                ["op"] = o.Double ? "dsyrk" : "ssyrk", ["m"] = m, ["n"] = n, ["threads"] = o.Threads, ["isa"] = o.IsaName,
                ["gflops"] = Math.Round(flops / syrk / 1e9, 1), ["seconds"] = syrk,
                ["gemm_seconds"] = gemm, ["gemm_gflops"] = Math.Round(2.0 * m * n * n / gemm / 1e9, 1),
                ["speedup_vs_gemm"] = Math.Round(gemm / syrk, 2), ["best_gflops"] = Math.Round(flops / best / 1e9, 1),
                ["peak_gflops"] = Math.Round(peak, 1), ["fraction_of_peak"] = Math.Round(flops / syrk / 1e9 / peak, 3),
            });
        }
        return 0;
    }

    private static (double Syrk, double Gemm, double Best) TimeBoth<T>(GemmBenchOptions o, int m, int n)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(7);
        T[] x = GemmBench.Fill<T>(rng, m * n), c = new T[n * n];
        double flops = (double)m * n * (n + 1);
        double syrk, gemm, best;
        if (typeof(T) == typeof(float))
        {
            float[] xf = (float[])(object)x, cf = (float[])(object)c;
            syrk = o.Time(() => Covariance.Ssyrk(m, n, 1f, xf, n, 0f, cf, n, o.Threads), flops);
            best = o.LastBest;
            gemm = o.Time(() => Gemm.Sgemm(true, false, n, n, m, 1f, xf, n, xf, n, 0f, cf, n, o.Threads), 2 * flops);
        }
        else
        {
            double[] xd = (double[])(object)x, cd = (double[])(object)c;
            syrk = o.Time(() => Covariance.Dsyrk(m, n, 1.0, xd, n, 0.0, cd, n, o.Threads), flops);
            best = o.LastBest;
            gemm = o.Time(() => Gemm.Dgemm(true, false, n, n, m, 1.0, xd, n, xd, n, 0.0, cd, n, o.Threads), 2 * flops);
        }
        return (syrk, gemm, best);
    }
}
