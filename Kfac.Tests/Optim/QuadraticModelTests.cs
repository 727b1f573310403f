using Kfac.Optim.Kfac;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

public class QuadraticModelTests
{
    /// <summary>The closed-form (alpha, mu) minimises M over a fine grid around it.</summary>
    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool SolveMinimisesTheModel(int seed)
    {
        var rng = new System.Random(seed);
        // A PSD 2x2 Gram of two random vectors under a random PSD F, plus positive damping c.
        double dd = 0.5 + rng.NextDouble(), pp = 0.5 + rng.NextDouble(), dp = (rng.NextDouble() - 0.5) * Math.Sqrt(dd * pp);
        double fd = rng.NextDouble() * 3, fp = rng.NextDouble() * 3, fdp = (rng.NextDouble() - 0.5) * Math.Sqrt(fd * fp);
        var t = new QuadraticModel.Terms(fd, fdp, fp, dd, dp, pp, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1);
        double c = 0.1 + rng.NextDouble();
        var s = QuadraticModel.Solve(t, c, useMomentum: true);
        if (Math.Abs(QuadraticModel.Value(t, c, s.Alpha, s.Mu) - s.Value) > 1e-12) return false;
        // Brute force: no grid point within +-1 of the solution does better.
        for (int i = -50; i <= 50; i++)
            for (int j = -50; j <= 50; j++)
                if (QuadraticModel.Value(t, c, s.Alpha + i * 0.02, s.Mu + j * 0.02) < s.Value - 1e-12) return false;
        return true;
    }

    /// <summary>With |mu| bounded: the unconstrained solution when it lies inside the band (the same bits), else mu at
    /// the bound on its side and the best alpha for it, which no (alpha, mu) of the band beats (brute force over the
    /// band's mu, each with its best alpha). Nearly collinear directions make |mu*| large.</summary>
    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool BoundedMomentumMinimisesTheModelOverTheBand(int seed)
    {
        var rng = new System.Random(seed);
        double dd = 0.5 + rng.NextDouble(), pp = 0.5 + rng.NextDouble();
        double cos = 0.9 + 0.0999 * rng.NextDouble() * (rng.Next(2) == 0 ? 1 : -1); // nearly collinear: large mu*
        double dp = cos * Math.Sqrt(dd * pp);
        double fd = rng.NextDouble() * 3, fp = rng.NextDouble() * 3, fdp = cos * Math.Sqrt(fd * fp);
        var t = new QuadraticModel.Terms(fd, fdp, fp, dd, dp, pp, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1);
        double c = 0.1 + rng.NextDouble(), limit = 0.25 + 2 * rng.NextDouble();
        var free = QuadraticModel.Solve(t, c, useMomentum: true);
        var bounded = QuadraticModel.Solve(t, c, useMomentum: true, momentumLimit: limit);
        if (free.Failure is not null || bounded.Failure is not null) return free.Failure == bounded.Failure;
        if (Math.Abs(free.Mu) <= limit) return bounded == free;
        if (bounded.Mu != Math.CopySign(limit, free.Mu)) return false;
        if (Math.Abs(QuadraticModel.Value(t, c, bounded.Alpha, bounded.Mu) - bounded.Value) > 1e-12) return false;
        double a00 = fd + c * dd, a01 = fdp + c * dp;
        for (int j = -200; j <= 200; j++)
        {
            double mu = limit * j / 200.0, best = -(t.GradDelta + mu * a01) / a00; // the best alpha for this mu
            if (QuadraticModel.Value(t, c, best, mu) < bounded.Value - 1e-12) return false;
        }
        return true;
    }

    [Test]
    public void TheMomentumLimitMustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KfacOptions { MomentumLimit = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new KfacOptions { MomentumLimit = double.NaN }.Validate());
        Assert.DoesNotThrow(() => new KfacOptions { MomentumLimit = double.PositiveInfinity }.Validate());
    }

    [Test]
    public void WithoutMomentumAlphaIsTheOneDimensionalMinimiser()
    {
        var t = new QuadraticModel.Terms(2, 0.3, 1, 1.5, 0.2, 0.8, -1.2, 0.4);
        var s = QuadraticModel.Solve(t, 0.5, useMomentum: false);
        Assert.That(s.Mu, Is.EqualTo(0));
        Assert.That(s.Alpha, Is.EqualTo(1.2 / (2 + 0.5 * 1.5)).Within(1e-15));
        Assert.That(s.Value, Is.EqualTo(-0.5 * 1.2 * 1.2 / (2 + 0.5 * 1.5)).Within(1e-15));
    }

    [Test]
    public void ZeroPreviousUpdateMeansNoMomentum()
    {
        var t = new QuadraticModel.Terms(2, 0, 0, 1, 0, 0, -1, 0);
        var s = QuadraticModel.Solve(t, 1, useMomentum: true);
        Assert.That(s.Mu, Is.EqualTo(0));
        Assert.That(s.Alpha, Is.EqualTo(1.0 / 3).Within(1e-15));
    }

    [TestCase(0.9, 100, 100 * 0.77378094)]   // rho > 3/4: lambda <- omega1 lambda, omega1 = (19/20)^5
    [TestCase(0.5, 100, 100)]                // in between: unchanged
    [TestCase(0.1, 100, 100 / 0.77378094)]   // rho < 1/4: lambda <- lambda / omega1
    [TestCase(double.NaN, 100, 100 / 0.77378094)]
    public void LevenbergMarquardtRule(double rho, double lambda, double expected) =>
        Assert.That(LevenbergMarquardt.Adjust(lambda, rho, Math.Pow(0.95, 5), 1e-8, 1e8), Is.EqualTo(expected).Within(1e-6));

    [Test]
    public void LevenbergMarquardtClampsAndComputesRho()
    {
        Assert.That(LevenbergMarquardt.Adjust(1e-8, 0.9, 0.5, 1e-8, 1e8), Is.EqualTo(1e-8));
        Assert.That(LevenbergMarquardt.Adjust(1e8, 0.0, 0.5, 1e-8, 1e8), Is.EqualTo(1e8));
        Assert.That(LevenbergMarquardt.Rho(10, 9, -2), Is.EqualTo(0.5));
        Assert.That(double.IsNaN(LevenbergMarquardt.Rho(10, 9, 0)), Is.True, "a model that predicts no decrease gives NaN (treated as < 1/4)");
    }

    [Test]
    public void OptionsAreValidatedByName()
    {
        Assert.That(() => new KfacOptions { Decay = 1 }.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("Decay"));
        Assert.That(() => new KfacOptions { InverseInterval = 0 }.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("InverseInterval"));
        Assert.That(() => new KfacOptions { StatisticsFraction = 0 }.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("StatisticsFraction"));
        Assert.That(new KfacOptions().Omega1, Is.EqualTo(Math.Pow(0.95, 5)).Within(1e-15));
        Assert.That(new KfacOptions { LambdaDecay = 0.8, LambdaInterval = 3 }.Omega1, Is.EqualTo(0.8 * 0.8 * 0.8).Within(1e-15));
        Assert.That(() => new KfacOptions { LambdaDecay = 1 }.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("LambdaDecay"));
        Assert.That(() => new KfacOptions { LambdaDecay = 0 }.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("LambdaDecay"));
        Assert.That(new KfacOptions().Omega2, Is.EqualTo(Math.Pow(Math.Sqrt(0.95), 20)).Within(1e-15));
        Assert.That(new KfacOptions().StartGamma, Is.EqualTo(Math.Sqrt(150 + 1e-5)).Within(1e-12));
    }
}
