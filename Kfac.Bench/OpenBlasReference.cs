using System.Runtime.InteropServices;

namespace Kfac.Bench;

/// <summary>
/// The system's OpenBLAS (Debian `libopenblas0-openmp` or `-pthread`), bound at run time for `gemm --reference
/// openblas`: cblas_sgemm / cblas_dgemm on the same arrays as our GEMM, so both are timed in one process, rounds
/// alternating. Only the bench uses it; the library never links a BLAS. Which kernels OpenBLAS runs is its own choice
/// (`OPENBLAS_CORETYPE=Haswell` restricts it to its AVX2 kernels; `OPENBLAS_VERBOSE=2` prints the core it picked).
/// </summary>
internal sealed unsafe class OpenBlasReference
{
    // CBLAS enums (cblas.h).
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> _dgemm;

    /// <summary>The library file that was loaded.</summary>
    public string Path { get; }

    /// <summary>OpenBLAS's name for the kernels it runs on this CPU (openblas_get_corename), or "unknown".</summary>
    public string CoreName { get; }

    public OpenBlasReference(int threads)
    {
        string[] candidates = ["libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"];
        nint handle = 0;
        string? loaded = null;
        foreach (var name in candidates)
            if (NativeLibrary.TryLoad(name, out handle)) { loaded = name; break; }
        if (loaded is null)
            throw new InvalidOperationException(
                "--reference openblas: no OpenBLAS library found (tried " + string.Join(", ", candidates) +
                "); install it with `apt-get install libopenblas0-openmp` (or libopenblas0-pthread)");
        Path = loaded;
        // An OpenMP build's threads spin for a while after each call (the default wait policy) and take the cores from
        // our GEMM that runs next: measured here, our median fell to half its solo rate. Passive waiting keeps the
        // alternation fair; it has to be set before the process starts (libgomp reads it when it loads).
        if (!string.Equals(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"), "passive", StringComparison.OrdinalIgnoreCase))
            Console.Error.WriteLine("warning: OMP_WAIT_POLICY is not PASSIVE: an OpenMP OpenBLAS spins after each call and slows the GEMM timed after it; run with OMP_WAIT_POLICY=PASSIVE");
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(handle, "cblas_sgemm");
        _dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)NativeLibrary.GetExport(handle, "cblas_dgemm");
        if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads))
            ((delegate* unmanaged<int, void>)setThreads)(threads);
        CoreName = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var coreName)
            ? Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)coreName)()) ?? "unknown"
            : "unknown";
    }

    /// <summary>C = alpha op(A) op(B) + beta C, row-major, the same argument convention as <c>Gemm.Sgemm</c>.</summary>
    public void Sgemm(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            _sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Double-precision counterpart of <see cref="Sgemm"/>.</summary>
    public void Dgemm(bool ta, bool tb, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc)
    {
        fixed (double* pa = a, pb = b, pc = c)
            _dgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
