using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Kfac.Cpu;

namespace Kfac.Bench;

/// <summary>
/// Register-only FMA peak: 12 independent accumulator chains per thread (more than FMA latency x pipes), no memory
/// traffic, so the loop runs at the machine's FMA throughput. GEMM results are reported as a fraction of this number
/// measured in the same process, which keeps the ratio meaningful on a shared, noisy machine.
/// </summary>
internal static class Peak
{
    private const long Iterations = 4_000_000;

    /// <summary>Median GFLOP/s of several runs of the FMA loop on <paramref name="threads"/> threads.</summary>
    public static double Measure(int threads, bool isDouble, int runs = 7)
    {
        var body = new PeakBody { IsDouble = isDouble };
        body.Invoke(0, 1); // JIT + clock ramp
        double flopsPerThread = Iterations * 12.0 * 2.0 * (isDouble ? Vector512<double>.Count : Vector512<float>.Count);
        if (!Vector512.IsHardwareAccelerated) flopsPerThread /= 2; // Vector256 loop
        var secs = Timing.Measure(() => CpuParallel.For(0, threads, body, grain: 1, maxThreads: threads), 1, runs);
        return threads * flopsPerThread / Timing.Median(secs) / 1e9;
    }

    private struct PeakBody : IRangeBody
    {
        public bool IsDouble;

        public readonly void Invoke(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    if (IsDouble) Sink = Loop512(Vector512.Create(1.0), Vector512.Create(0.999999), Vector512.Create(1e-9)).ToScalar();
                    else Sink = Loop512(Vector512.Create(1f), Vector512.Create(0.999999f), Vector512.Create(1e-7f)).ToScalar();
                }
                else
                {
                    if (IsDouble) Sink = Loop256(Vector256.Create(1.0), Vector256.Create(0.999999), Vector256.Create(1e-9)).ToScalar();
                    else Sink = Loop256(Vector256.Create(1f), Vector256.Create(0.999999f), Vector256.Create(1e-7f)).ToScalar();
                }
            }
        }
    }

    public static double Sink;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<T> Loop512<T>(Vector512<T> a0, Vector512<T> x, Vector512<T> y)
    {
        Vector512<T> a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < Iterations; i++)
        {
            a0 = Fma(a0, x, y); a1 = Fma(a1, x, y); a2 = Fma(a2, x, y); a3 = Fma(a3, x, y);
            a4 = Fma(a4, x, y); a5 = Fma(a5, x, y); a6 = Fma(a6, x, y); a7 = Fma(a7, x, y);
            a8 = Fma(a8, x, y); a9 = Fma(a9, x, y); a10 = Fma(a10, x, y); a11 = Fma(a11, x, y);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<T> Loop256<T>(Vector256<T> a0, Vector256<T> x, Vector256<T> y)
    {
        Vector256<T> a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < Iterations; i++)
        {
            a0 = Fma(a0, x, y); a1 = Fma(a1, x, y); a2 = Fma(a2, x, y); a3 = Fma(a3, x, y);
            a4 = Fma(a4, x, y); a5 = Fma(a5, x, y); a6 = Fma(a6, x, y); a7 = Fma(a7, x, y);
            a8 = Fma(a8, x, y); a9 = Fma(a9, x, y); a10 = Fma(a10, x, y); a11 = Fma(a11, x, y);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
}

/// <summary>`peak`: the register-only FMA peak per thread and on all threads.</summary>
internal sealed class PeakBench : IBenchCommand
{
    public string Name => "peak";
    public string Description => "register-only FMA peak GFLOP/s, 1 thread and --threads (default all); --double";

    public int Run(BenchArgs args)
    {
        bool json = args.Flag("json");
        bool dbl = args.Flag("double");
        int threads = args.Int("threads", CpuParallel.MaxThreads);
        foreach (int t in threads == 1 ? new[] { 1 } : new[] { 1, threads })
        {
            double g = Peak.Measure(t, dbl);
            JsonLine.Print(json, new Dictionary<string, object>
            {
                ["op"] = "peak", ["type"] = dbl ? "double" : "float", ["threads"] = t,
                ["isa"] = Vector512.IsHardwareAccelerated ? "Vector512" : "Vector256",
                ["peak_gflops"] = Math.Round(g, 1), ["per_thread_gflops"] = Math.Round(g / t, 1),
            });
        }
        return 0;
    }
}
