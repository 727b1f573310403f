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
