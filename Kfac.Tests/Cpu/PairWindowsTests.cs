using Kfac.Cpu;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The vectorised 2 x 2 / stride 2 arg maxes against the definition (the first maximal element in row-major
/// window order under ordered compares, so a NaN is never "greater" and a NaN in the first place stays), over plane
/// sizes 2-29 (odd sizes drop the last row or column; output rows of 1-3 windows (scalar), 4-7 (128-bit) and 8 or more
/// (256-bit, the last vector overlapping))
/// with values from {0, 1, 2} (ties everywhere) and some NaNs and infinities.</summary>
public unsafe class PairWindowsTests
{
    [Test]
    public void EveryPlaneSize_MatchesFirstMaximum()
    {
        if (!PairWindows.Applies(Geometry(4, 4))) Assert.Ignore("no AVX2 on this machine: the vectorised path is not used");
        var rng = new Random(11);
        float[] pool = [0f, 1f, 2f, 2f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (int h = 2; h <= 29; h++)
            foreach (int w in new[] { 2, 3, 4, 6, 7, 8, 9, 14, 15, 16, 17, 28, 29, 30, 33, 56 })
            {
                var g = Geometry(h, w);
                var plane = new float[h * w];
                for (int i = 0; i < plane.Length; i++) plane[i] = rng.Next(10) < 8 ? rng.Next(3) : pool[rng.Next(pool.Length)];
                var args = new int[g.Locations + 1];
                args[g.Locations] = -7;
                fixed (float* p = plane) PairWindows.ArgMaxes(p, w, g.OutHeight, g.OutWidth, args);
                Assert.That(args[g.Locations], Is.EqualTo(-7), $"{h} x {w}: nothing written past the windows");
                for (int o = 0; o < g.Locations; o++)
                    Assert.That(args[o], Is.EqualTo(FirstMaximum(plane, w, o / g.OutWidth, o % g.OutWidth)), $"{h} x {w}, window {o}");
            }
    }

    private static WindowGeometry Geometry(int h, int w) => new(1, 1, h, w, 2, 2, 2, 2, 0, 0);

    private static int FirstMaximum(float[] plane, int w, int p, int q)
    {
        int best = 2 * p * w + 2 * q;
        foreach (int at in new[] { best + 1, best + w, best + w + 1 })
            if (plane[at] > plane[best]) best = at;
        return best;
    }
}
