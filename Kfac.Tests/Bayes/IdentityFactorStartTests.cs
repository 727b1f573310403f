using Kfac.Bayes;
using Kfac.Losses;
using NUnit.Framework;
using static Kfac.Tests.Bayes.BayesTestKit;

namespace Kfac.Tests.Bayes;

/// <summary>Noisy K-FAC's authors'-code start: A and S begin at the identity and take a plain EMA with weight beta
/// from the first step, so after one step A = (1 - beta) I + beta A_batch (checked against the debiased start, whose
/// first A is A_batch itself, with the same noise-free step).</summary>
public class IdentityFactorStartTests
{
    [Test]
    public void FirstStepBlendsTheBatchFactorsIntoTheIdentity()
    {
        const double decay = 0.9;
        var factors = new List<double[]>[2];
        for (int run = 0; run < 2; run++)
        {
            var net = Net([3, 4, 2], seed: 121);
            var x = Matrix(8, 3, 122);
            var y = Matrix(8, 2, 123);
            var options = new VariationalOptions { TrainingSetSize = 40, Seed = 1 };
            var opt = new NoisyKfac(NoisyKfac.DiscoverLayers(net.Forward, x), options, statisticsDecay: decay, identityInitialFactors: run == 1)
            {
                NoiseEnabled = false,
            };
            Assert.That(opt.Step(net.Forward, x, y, new SquaredError(0.5)).Applied, Is.True);
            factors[run] = opt.Blocks.SelectMany(b => new[] { b.InputFactor!.ToDoubleArray(), b.OutputFactor!.ToDoubleArray() }).ToList();
        }
        for (int f = 0; f < factors[0].Count; f++)
        {
            var batch = factors[0][f];
            var blended = factors[1][f];
            int n = (int)Math.Round(Math.Sqrt(batch.Length));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    // the input factor is the same at the first step (same mean, no noise); the output factor's sampled
                    // targets use the same seed, so the batch statistics are identical too
                    double expected = decay * (i == j ? 1 : 0) + (1 - decay) * batch[i * n + j];
                    Assert.That(blended[i * n + j], Is.EqualTo(expected).Within(1e-12), $"factor {f} [{i},{j}]");
                }
        }
    }
}
