using Kfac.Cpu.Blas;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>A block of op(A) packed into the AVX2 kernel's 6-row micro-panels (stored A: the six-row transposing path
/// with its overlapping stores; stored A^T: MR values copied per row and panel; and the ragged last panel) against the
/// definition dst[q kc 6 + p 6 + i] = op(A)[6 q + i, p] (zero below the last row), for depths that end on an 8-column
/// block, after a partial one, or before any; nothing past the packed panels may be written.</summary>
public unsafe class PackingTests
{
    [Test]
    public void PackA_SixRowPanels_MatchDefinition_AndWriteNothingPast([Values(1, 5, 8, 13, 16, 24, 37, 256)] int kc,
        [Values(5, 6, 12, 17)] int rows, [Values] bool transA)
    {
        const int mr = 6, guard = 16, p0 = 3, i0 = 2;
        // A stored rows x k (row stride lda), or for transA stored k x rows so that op(A) = A^T.
        int lda = transA ? i0 + rows + 5 : p0 + kc + 5;
        var rng = new Random(kc * 31 + rows + (transA ? 1000 : 0));
        var a = new float[(transA ? p0 + kc : i0 + rows) * lda];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() + 0.5f;
        int panels = (rows + mr - 1) / mr, size = panels * kc * mr;
        var dst = new float[size + guard];
        Array.Fill(dst, -7f);
        fixed (float* pa = a, pd = dst)
            Packing<float, MicroKernel256<float>>.PackA(pa, lda, transA, i0, rows, p0, kc, pd);
        for (int q = 0; q < panels; q++)
            for (int p = 0; p < kc; p++)
                for (int i = 0; i < mr; i++)
                {
                    int r = q * mr + i;
                    float expected = r >= rows ? 0f : transA ? a[(p0 + p) * lda + i0 + r] : a[(i0 + r) * lda + p0 + p];
                    Assert.That(dst[q * kc * mr + p * mr + i], Is.EqualTo(expected), $"kc {kc} rows {rows}: panel {q}, column {p}, row {i}");
                }
        for (int g = size; g < dst.Length; g++)
            Assert.That(dst[g], Is.EqualTo(-7f), $"kc {kc} rows {rows}: wrote past the panels at {g - size}");
    }
}
