using Kfac.Bayes;
using NUnit.Framework;

namespace Kfac.Tests.Bayes;

/// <summary>The Gamma observation-noise model: its sampler, closed-form expected log-likelihood and KL against Monte
/// Carlo (5 standard errors), and its ELBO gradient against finite differences.</summary>
public class GammaNoiseTests
{
    private static double LogGammaDensity(double tau, double a, double b) =>
        a * Math.Log(b) - SpecialFunctions.LogGamma(a) + (a - 1) * Math.Log(tau) - b * tau;

    [Test]
    public void ExpectedLogLikelihoodAndKlEqualMonteCarlo()
    {
        var noise = new GammaNoise(6, 6);
        noise.Set(9.5, 3.25);
        double r = 0.8;
        var rng = new System.Random(42);
        const int n = 200000;
        var ll = new double[n];
        var kl = new double[n];
        var tau = new double[n];
        for (int s = 0; s < n; s++)
        {
            double t = noise.SamplePrecision(rng);
            tau[s] = t;
            ll[s] = 0.5 * Math.Log(t / (2 * Math.PI)) - 0.5 * t * r * r;
            kl[s] = LogGammaDensity(t, 9.5, 3.25) - LogGammaDensity(t, 6, 6);
        }
        var (tm, tse) = BayesTestKit.MeanSe(tau);
        Assert.That(tm, Is.EqualTo(9.5 / 3.25).Within(5 * tse), "E[tau] = a/b");
        var (lm, lse) = BayesTestKit.MeanSe(ll);
        Assert.That(noise.ExpectedLogLikelihood(r * r, 1), Is.EqualTo(lm).Within(5 * lse));
        var (km, kse) = BayesTestKit.MeanSe(kl);
        Assert.That(noise.KlToPrior(), Is.EqualTo(km).Within(5 * kse));
        Assert.That(GammaNoise.Kl(6, 6, 6, 6), Is.EqualTo(0).Within(1e-14));
    }

    [Test]
    public void SmallShapeSamplerHasTheRightMoments()
    {
        var rng = new System.Random(3);
        var x = Enumerable.Range(0, 100000).Select(_ => GammaNoise.SampleGamma(rng, 0.4)).ToArray();
        var (m, se) = BayesTestKit.MeanSe(x);
        Assert.That(m, Is.EqualTo(0.4).Within(5 * se));
    }

    [Test]
    public void UpdateFollowsTheElboGradient()
    {
        // The per-datum objective J(log a, log b) = E[log N] - KL/N; one Adam step from a fresh state moves each
        // coordinate by lr * sign(gradient) (Adam's first step), so the direction checks the gradient's sign and a
        // finite-difference check of J pins its value through the ascent.
        double a = 4, b = 9, r2 = 0.3;
        int n = 50;
        double J(double la, double lb)
        {
            var g = new GammaNoise(6, 6);
            g.Set(Math.Exp(la), Math.Exp(lb));
            return g.ExpectedLogLikelihood(r2, 1) - g.KlToPrior() / n;
        }
        double h = 1e-6;
        double dla = (J(Math.Log(a) + h, Math.Log(b)) - J(Math.Log(a) - h, Math.Log(b))) / (2 * h);
        double dlb = (J(Math.Log(a), Math.Log(b) + h) - J(Math.Log(a), Math.Log(b) - h)) / (2 * h);
        var noise = new GammaNoise(6, 6, learningRate: 1e-3);
        noise.Set(a, b);
        noise.Update(r2, n);
        Assert.That(Math.Log(noise.Shape) - Math.Log(a), Is.EqualTo(1e-3 * Math.Sign(dla)).Within(1e-9));
        Assert.That(Math.Log(noise.Rate) - Math.Log(b), Is.EqualTo(1e-3 * Math.Sign(dlb)).Within(1e-9));
        Assert.That(J(Math.Log(noise.Shape), Math.Log(noise.Rate)), Is.GreaterThan(J(Math.Log(a), Math.Log(b))));
    }
}
