using Kfac.Examples.BayesianRegression;
using NUnit.Framework;

namespace Kfac.Tests.Bayes;

/// <summary>
/// Noisy K-FAC's KL clip keeps the mean bounded with few particles. Boston (embedded), the example's defaults (beta
/// 1e-3 with the debiased start, no extrinsic damping, T_inv 10, lr 0.01, batch 10, the Gamma noise model), 1 particle,
/// 20 epochs, splits 0 and 1 of seed 0: the first factors come from one particle's 10 examples and are far from full
/// rank. Without the clip (kappa = infinity) the mean diverges on both splits (test RMSE above 1e3 or not finite; it
/// reached 1e39); with the default kappa (<see cref="Kfac.Bayes.NoisyKfac.DefaultKlClip"/>) and with 1e-3 both end with
/// an ordinary Boston RMSE and no skipped step.
/// </summary>
public class KlClipTests
{
    [TestCase(Kfac.Bayes.NoisyKfac.DefaultKlClip, true)]
    [TestCase(1e-3, true)]
    [TestCase(double.PositiveInfinity, false)]
    public void OneParticleOnBostonStaysBoundedOnlyWithTheClip(double klClip, bool bounded)
    {
        var data = UciData.Load("boston");
        for (int s = 0; s < 2; s++)
        {
            var split = data.MakeSplit(seed: 0, split: s);
            var o = new RunOptions { Method = "noisy-kfac", Epochs = 20, Particles = 1, KlClip = klClip, TestSamples = 20, Seed = 0 };
            var r = RegressionRun.Run(split, o, s, null);
            if (bounded)
            {
                Assert.That(r.Rmse, Is.LessThan(8), $"split {s}: test RMSE");
                Assert.That(r.SkippedSteps, Is.EqualTo(0), $"split {s}: skipped steps");
            }
            else Assert.That(!double.IsFinite(r.Rmse) || r.Rmse > 1e3 || r.SkippedSteps > 100, $"split {s}: without the clip this run diverges (the test's premise); RMSE {r.Rmse}, {r.SkippedSteps} skipped");
        }
    }
}
