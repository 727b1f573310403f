using Kfac.Cpu.Blas;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The packing transpose (8 x 8, 4 x 4 and 2 x 4 register blocks plus scalar edges) against the definition
/// dst[p * ldd + r] = src[r * lds + p], over every row count 1-19 (so each block kind and each ragged edge occurs) and
/// odd column counts, with padded strides; entries of dst outside the rows x cols image must stay untouched.</summary>
public unsafe class TransposeTests
{
    [Test]
    public void Float_EveryShape_MatchesDefinition()
    {
        var rng = new Random(5);
        for (int rows = 1; rows <= 19; rows++)
            foreach (int cols in new[] { 1, 3, 4, 7, 8, 13, 16, 21, 33 })
            {
                int lds = cols + 3, ldd = rows + 2;
                var src = new float[rows * lds];
                for (int i = 0; i < src.Length; i++) src[i] = (float)rng.NextDouble();
                var dst = new float[cols * ldd];
                Array.Fill(dst, -7f);
                fixed (float* s = src, d = dst) Transpose.Copy(s, lds, rows, cols, d, ldd);
                for (int p = 0; p < cols; p++)
                    for (int r = 0; r < ldd; r++)
                    {
                        float expected = r < rows ? src[r * lds + p] : -7f;
                        Assert.That(dst[p * ldd + r], Is.EqualTo(expected), $"rows {rows} cols {cols}: dst[{p}, {r}]");
                    }
            }
    }

    [Test]
    public void Double_EveryShape_MatchesDefinition()
    {
        var rng = new Random(6);
        for (int rows = 1; rows <= 11; rows++)
            foreach (int cols in new[] { 1, 4, 5, 9 })
            {
                int lds = cols + 1, ldd = rows + 1;
                var src = new double[rows * lds];
                for (int i = 0; i < src.Length; i++) src[i] = rng.NextDouble();
                var dst = new double[cols * ldd];
                Array.Fill(dst, -7.0);
                fixed (double* s = src, d = dst) Transpose.Copy(s, lds, rows, cols, d, ldd);
                for (int p = 0; p < cols; p++)
                    for (int r = 0; r < ldd; r++)
                        Assert.That(dst[p * ldd + r], Is.EqualTo(r < rows ? src[r * lds + p] : -7.0), $"rows {rows} cols {cols}: dst[{p}, {r}]");
            }
    }
}
