using Kfac.Linalg;

namespace Kfac.Bench;

/// <summary>
/// `eigh`: symmetric eigendecomposition (Kfac.Linalg.SymmetricEigen) of a random symmetric matrix with uniform(-1, 1)
/// entries. Reports seconds (median) and a NOMINAL rate at 9 n^3 flops (the usual count for dsyev with vectors:
/// 4n^3/3 reduction, 2n^3 back-transformation, the rest QL rotations, whose count depends on the spectrum);
/// --values-only times the eigenvalues alone (nominal 4n^3/3).
/// </summary>
internal sealed class EighBench : IBenchCommand
{
    public string Name => "eigh";

    public string Description => "symmetric eigendecomposition: --sizes 512,1024,2048 --threads N --values-only --runs R --warmup W --json";

    public int Run(BenchArgs args)
    {
        var o = LinalgBenchOptions.Parse(args);
        if (args.String("runs") is null) o = o with { Runs = 3 };
        foreach (int n in o.Sizes)
        {
            var rng = new Random(n);
            var a = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = 2 * rng.NextDouble() - 1;
            var w = new double[n];
            var v = new double[n * n];
            var seconds = o.ValuesOnly
                ? LinalgBenchOptions.Median(o, () => { }, () => SymmetricEigen.Eigenvalues(a, n, w, o.Threads))
                : LinalgBenchOptions.Median(o, () => { }, () => SymmetricEigen.Decompose(a, n, w, v, o.Threads));
            double n3 = (double)n * n * n;
            o.Report(o.ValuesOnly ? "eigvalsh" : "eigh", n, seconds, o.ValuesOnly ? 4 * n3 / 3 : 9 * n3, "float64",
                o.ValuesOnly ? "nominal 4n^3/3 flops (tridiagonal reduction)" : "nominal 9n^3 flops (dsyev with vectors)");
        }
        return 0;
    }
}

/// <summary>
/// `eigh-phases`: where the symmetric eigendecomposition spends its time (median seconds per phase): the Householder
/// reduction to tridiagonal form, the tridiagonal eigenvectors by divide and conquer (the path used above 32 rows) and,
/// for comparison, by implicit QL with accumulated rotations (the path before), and the back-transformation.
/// --psd uses a K-FAC-like factor instead of a uniform random matrix: X^T X / m for X of m = n / 3 rows (rank-deficient,
/// so divide and conquer deflates much of it), plus 1e-3 I.
/// </summary>
internal sealed class EighPhasesBench : IBenchCommand
{
    public string Name => "eigh-phases";

    public string Description => "symmetric eigendecomposition split into phases, D&C against QL: --sizes 1025 --threads N --psd --runs R --json";

    public int Run(BenchArgs args)
    {
        var o = LinalgBenchOptions.Parse(args);
        if (args.String("runs") is null) o = o with { Runs = 3 };
        bool psd = args.Flag("psd");
        foreach (int n in o.Sizes)
        {
            var a = psd ? KfacLikeFactor(n) : UniformSymmetric(n);
            var work = new double[n * n];
            var d = new double[n];
            var e = new double[Math.Max(n - 1, 1)];
            var tau = new double[Math.Max(n - 1, 1)];
            var reduce = LinalgBenchOptions.Median(o, () => a.CopyTo(work, 0), () => Tridiagonalization.Reduce(work, n, d, e, tau, o.Threads));
            var reflectors = (double[])work.Clone();
            var (d0, e0) = ((double[])d.Clone(), (double[])e.Clone());
            var q = new double[n * n];
            var zt = new double[n * n];
            var dc = LinalgBenchOptions.Median(o, () => d0.CopyTo(d, 0), () => TridiagonalDivideConquer.Solve(d, e0, q, n, o.Threads));
            var ql = LinalgBenchOptions.Median(o, () =>
            {
                d0.CopyTo(d, 0);
                e0.CopyTo(e, 0);
                Array.Clear(zt);
                for (int i = 0; i < n; i++) zt[i * n + i] = 1;
            }, () => TridiagonalQl.Solve(d, e, zt, n, o.Threads));
            var back = LinalgBenchOptions.Median(o, () => { }, () => HouseholderBackTransform.Apply(reflectors, tau, n, zt, o.Threads));
            JsonLine.Print(o.Json, new Dictionary<string, object>
            {
                ["op"] = "eigh_phases", ["n"] = n, ["threads"] = o.ReportedThreads, ["matrix"] = psd ? "kfac-like psd, rank n/3 + 1e-3 I" : "uniform symmetric",
                ["reduce_seconds"] = reduce.Median, ["divide_conquer_seconds"] = dc.Median, ["ql_rotations_seconds"] = ql.Median,
                ["back_transform_seconds"] = back.Median,
            });
        }
        return 0;
    }

    private static double[] UniformSymmetric(int n)
    {
        var rng = new Random(n);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = 2 * rng.NextDouble() - 1;
        return a;
    }

    private static double[] KfacLikeFactor(int n)
    {
        var rng = new Random(n);
        int m = Math.Max(n / 3, 1);
        var x = new double[m * n];
        for (int i = 0; i < x.Length; i++) x[i] = Math.Max(0, 2 * rng.NextDouble() - 0.5); // ReLU-like activations
        var a = new double[n * n];
        for (int r = 0; r < m; r++)
            for (int i = 0; i < n; i++)
            {
                double xi = x[r * n + i] / m;
                if (xi == 0) continue;
                for (int j = 0; j <= i; j++) a[i * n + j] += xi * x[r * n + j];
            }
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] += 1e-3;
            for (int j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
        }
        return a;
    }
}
