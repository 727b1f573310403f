using Kfac.Cpu.Blas;
using NUnit.Framework;

namespace Kfac.Tests.Cpu;

/// <summary>The per-kernel cache blocking (<see cref="GemmBlocking"/>) and the cache sizes it is derived from.</summary>
[NonParallelizable]
public class GemmBlockingTests
{
    [TestCase("48K", 48 << 10)]
    [TestCase("1024K", 1 << 20)]
    [TestCase("2M", 2 << 20)]
    [TestCase("32768", 32768)]
    public void SysfsSizesParse(string text, int bytes) => Assert.That(CacheSizes.ParseSize(text), Is.EqualTo(bytes));

    [Test]
    public void DetectedCachesArePlausible()
    {
        Assert.That(CacheSizes.L1Data, Is.InRange(8 << 10, 256 << 10));
        Assert.That(CacheSizes.L2, Is.InRange(128 << 10, 16 << 20));
        Assert.That(CacheSizes.L2, Is.GreaterThan(CacheSizes.L1Data));
    }

    /// <summary>AVX-512 (a B row of 128 B) and the scalar kernel keep the tuned 256 / 192; AVX2's 64 B rows get the
    /// depth that fills two thirds of L1d and the rows whose A block fills 0.6 of L2, as documented.</summary>
    [Test]
    public void EachKernelGetsItsBlocking()
    {
        Assert.That(GemmBlocking.KcFor(128), Is.EqualTo(256));
        Assert.That(GemmBlocking.McRowsFor(128, 12, 4), Is.EqualTo(192));
        Assert.That(GemmBlocking.KcFor(16), Is.EqualTo(256), "scalar kernel (4 floats)");
        int kc = GemmBlocking.KcFor(64);
        Assert.That(kc, Is.EqualTo(Math.Clamp(CacheSizes.L1Data * 2 / 3 / 64 / 8 * 8, 128, 512)));
        Assert.That(kc * 64, Is.LessThanOrEqualTo(Math.Max(CacheSizes.L1Data * 2 / 3, 128 * 64)), "the B micro-panel fits two thirds of L1d");
        foreach (int element in new[] { 4, 8 })
        {
            int mc = GemmBlocking.McRowsFor(64, 6, element);
            Assert.That(mc % 6, Is.Zero, "a multiple of MR");
            Assert.That(mc, Is.InRange(48, 480));
            if (mc > 48) Assert.That((long)kc * mc * element, Is.LessThanOrEqualTo((long)(0.6 * CacheSizes.L2) + 6L * kc * element), "the A block fits 0.6 of L2");
        }
    }

    [Test]
    public void TheBenchOverridesEveryKernel()
    {
        int kc = GemmBlocking.Kc, mc = GemmBlocking.McRows;
        try
        {
            GemmBlocking.Kc = 100;
            GemmBlocking.McRows = 60;
            Assert.That(GemmBlocking.KcFor(64), Is.EqualTo(100));
            Assert.That(GemmBlocking.KcFor(128), Is.EqualTo(100));
            Assert.That(GemmBlocking.McRowsFor(64, 6, 4), Is.EqualTo(60));
            Assert.That(GemmBlocking.McRowsFor(128, 12, 4), Is.EqualTo(60));
        }
        finally
        {
            GemmBlocking.Kc = kc;
            GemmBlocking.McRows = mc;
        }
    }
}
