using Kfac.Curvature;
using Kfac.Layers;
using Kfac.Rl.Algorithms;
using Kfac.Rl.Distributions;
using Kfac.Rl.Environments;
using Kfac.Rl.Policies;
using Kfac.Rl.Vector;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>
/// ACKTR's pieces: the sampled-action Fisher statistics of categorical and diagonal-Gaussian policies converge to
/// the analytic output Fisher, the critic's sampled-target statistics to (baselines-scaled) Gauss-Newton factors,
/// the trust-region scale gives the predicted KL delta / 2 against the exact Fisher of a tiny policy (and the
/// true KL of the step agrees to second order), and ACKTR learns CartPole.
/// </summary>
public class AcktrTests
{
    /// <summary>Linear heads on the raw observation (identity torsos), so the head's G factor is the output Fisher.</summary>
    internal static ActorCritic LinearPolicy(int inputs, ActionSpace space, int seed) =>
        new(new Sequential(), new Sequential(), inputs, space, [inputs], seed);

    private static float[] States(int m, int inputs, int distinct, int seed)
    {
        var rng = new System.Random(seed);
        var basis = Enumerable.Range(0, distinct * inputs).Select(_ => (float)(3 * (rng.NextDouble() - 0.5))).ToArray();
        var obs = new float[m * inputs];
        for (int i = 0; i < m; i++) Array.Copy(basis, (i % distinct) * inputs, obs, i * inputs, inputs);
        return obs;
    }

    private static (double[] G, double ValueG) HeadFactors(ActorCritic policy, float[] obs, double[] actions, int m)
    {
        var curvature = new ActorCriticCurvature(policy);
        using var scope = TensorScope.Begin();
        var (logProb, _, value) = curvature.Record(() => PolicyEvaluation.Evaluate(policy, obs, actions, m));
        curvature.UpdateStatistics(logProb, value, 1.0, 0.99, new System.Random(11));
        var head = (KroneckerFactoredBlock)curvature.Blocks.Single(b => b.Parameters.Contains(policy.PolicyHead.Weight));
        var valueHead = (KroneckerFactoredBlock)curvature.Blocks.Single(b => b.Parameters.Contains(policy.ValueHead.Weight));
        return (head.OutputFactor!.ToDoubleArray(), valueHead.OutputFactor!.ToDoubleArray()[0]);
    }

    [Test]
    public void SampledCategoricalFisherConvergesToTheAnalyticFisher()
    {
        // m = 40 000 examples over 4 states; g = p - onehot(a) per example, |g_j g_k| <= 1, so each entry of the
        // first-update factor (1/m) sum g g^T has sd <= 1/200: tolerance 5 sd = 0.025.
        const int m = 40_000, k = 4, inputs = 3;
        var policy = LinearPolicy(inputs, ActionSpace.Discrete(k), 1);
        using (var outside = TensorScope.Suspend())
        {
            var w = policy.PolicyHead.Weight;
            w.CopyFrom<float>(new float[] { 2f, 0f, -1f, 0f, 1.5f, 0.5f, -1f, 1f, 0f, 0.5f, -0.5f, 1f });
        }
        var obs = States(m, inputs, 4, 2);
        var analytic = new double[k * k];
        var actions = new double[m];
        var sampled = new int[m];
        using (var scope = TensorScope.Begin())
        {
            var dist = new Categorical(policy.Forward(Tensor.FromArray(obs, m, inputs)));
            dist.Sample(new System.Random(3), sampled);
            var logp = dist.LogProbabilities.ToDoubleArray();
            for (int i = 0; i < m; i++)
            {
                actions[i] = sampled[i];
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                    {
                        double pa = Math.Exp(logp[i * k + a]), pb = Math.Exp(logp[i * k + b]);
                        analytic[a * k + b] += ((a == b ? pa : 0) - pa * pb) / m;
                    }
            }
        }
        var (g, valueG) = HeadFactors(policy, obs, actions, m);
        for (int i = 0; i < k * k; i++) Assert.That(g[i], Is.EqualTo(analytic[i]).Within(0.025), $"G[{i / k}, {i % k}]");
        // Critic: per-example gradient 2 eps (baselines' -(V - (V + eps))^2), so E[g^2] = 4 = 4 x the unit-variance
        // Gauss-Newton factor; sd of (2 eps)^2 is 4 sqrt 2: 5 sd / sqrt(m) = 0.14.
        Assert.That(valueG, Is.EqualTo(4.0).Within(0.14));

        // Control: with actions NOT drawn from the policy (uniform), the statistics miss the Fisher by far more
        // than the tolerance, so this test can tell.
        var uniform = Enumerable.Range(0, m).Select(i => (double)(i % k)).ToArray();
        var (gu, _) = HeadFactors(policy, obs, uniform, m);
        Assert.That(Enumerable.Range(0, k * k).Max(i => Math.Abs(gu[i] - analytic[i])), Is.GreaterThan(0.1));
    }

    [Test]
    public void SampledGaussianFisherConvergesToTheAnalyticFisher()
    {
        // Mean parameters: g = -(a - mu) / sigma^2, E[g g^T] = diag(1 / sigma^2) = diag(4, 0.25) for sigma = (0.5, 2).
        // sd of g_d^2 is sqrt 2 / sigma_d^2: 5 sd / sqrt(40 000) = 0.141 and 0.0088; off-diagonal sd 1/(s1 s2)/200.
        const int m = 40_000, inputs = 2;
        var policy = LinearPolicy(inputs, ActionSpace.Box(-10, 10, 2), 4);
        using (var outside = TensorScope.Suspend()) policy.LogStd!.CopyFrom<float>(new float[] { (float)Math.Log(0.5), (float)Math.Log(2.0) });
        var obs = States(m, inputs, 3, 5);
        var actions = new double[m * 2];
        using (var scope = TensorScope.Begin())
            policy.GaussianOf(policy.Forward(Tensor.FromArray(obs, m, inputs))).Sample(new System.Random(6), actions);
        var (g, _) = HeadFactors(policy, obs, actions, m);
        Assert.That(g[0], Is.EqualTo(4.0).Within(0.141));
        Assert.That(g[3], Is.EqualTo(0.25).Within(0.0088));
        Assert.That(g[1], Is.EqualTo(0.0).Within(5.0 / 200));
    }

    [TestCase(20.0, true)]
    [TestCase(0.001, false)]
    public void TrustRegionStepHasPredictedKlDeltaOverTwoAgainstTheExactFisher(double gradientScale, bool active)
    {
        // A tiny categorical policy z = W x (3 actions, 3 inputs, 9 parameters) on 5 states; exact Fisher
        // F = (1/m) sum_s J_s^T (diag p_s - p_s p_s^T) J_s with J_s = d z / d vec(W) (z_a = sum_j W_aj x_j).
        const int k = 3, d = 3, m = 5, n = k * d;
        const double lr = 0.25, delta = 0.001;
        var rng = new System.Random(7);
        var w = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var xs = Enumerable.Range(0, m * d).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] Probs(double[] weights, int s)
        {
            var z = new double[k];
            for (int a = 0; a < k; a++) for (int j = 0; j < d; j++) z[a] += weights[a * d + j] * xs[s * d + j];
            double mx = z.Max(), sum = z.Sum(v => Math.Exp(v - mx));
            return z.Select(v => Math.Exp(v - mx) / sum).ToArray();
        }
        var f = new double[n, n];
        for (int s = 0; s < m; s++)
        {
            var p = Probs(w, s);
            for (int a = 0; a < k; a++) for (int i = 0; i < d; i++)
                for (int b = 0; b < k; b++) for (int j = 0; j < d; j++)
                    f[a * d + i, b * d + j] += ((a == b ? p[a] : 0) - p[a] * p[b]) * xs[s * d + i] * xs[s * d + j] / m;
        }
        // A policy gradient g = (1/m) sum_s A_s J_s^T (onehot(a_s) - p_s): it lies in F's range (orthogonal to the
        // softmax shift W_a += c, along which F is singular), as every score-function gradient does.
        var g = new double[n];
        for (int s = 0; s < m; s++)
        {
            var p = Probs(w, s);
            int act = rng.Next(k);
            double adv = gradientScale * (rng.NextDouble() - 0.5);
            for (int a = 0; a < k; a++)
                for (int j = 0; j < d; j++) g[a * d + j] += adv * ((a == act ? 1 : 0) - p[a]) * xs[s * d + j] / m;
        }
        // Delta = (F + 1e-8 I)^-1 g by Gaussian elimination (the damping only regularises the singular direction).
        var aug = new double[n, n + 1];
        for (int i = 0; i < n; i++) { for (int j = 0; j < n; j++) aug[i, j] = f[i, j] + (i == j ? 1e-8 : 0); aug[i, n] = g[i]; }
        for (int c = 0; c < n; c++)
        {
            int piv = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(aug[r, c]));
            for (int j = 0; j <= n; j++) (aug[c, j], aug[piv, j]) = (aug[piv, j], aug[c, j]);
            for (int r = 0; r < n; r++)
                if (r != c) { double q = aug[r, c] / aug[c, c]; for (int j = c; j <= n; j++) aug[r, j] -= q * aug[c, j]; }
        }
        var delta_ = Enumerable.Range(0, n).Select(i => aug[i, n] / aug[i, i]).ToArray();
        double gDelta = g.Zip(delta_, (a, b) => a * b).Sum();
        double nu = TrustRegion.Scale(lr, gDelta, delta);
        var step = delta_.Select(v => lr * nu * v).ToArray();
        double sFs = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) sFs += step[i] * f[i, j] * step[j];
        double predictedKl = 0.5 * sFs;
        if (active)
        {
            Assert.That(nu, Is.LessThan(1));
            // Delta^T F Delta = g^T Delta up to the tiny damping's share.
            Assert.That(predictedKl, Is.EqualTo(delta / 2).Within(delta / 2 * 1e-3));
            // The true mean KL(pi_old || pi_new) of the step agrees with the quadratic model to second order.
            var wNew = w.Zip(step, (a, b) => a - b).ToArray();
            double kl = 0;
            for (int s = 0; s < m; s++)
            {
                var p = Probs(w, s);
                var q = Probs(wNew, s);
                for (int a = 0; a < k; a++) kl += p[a] * Math.Log(p[a] / q[a]) / m;
            }
            Assert.That(kl, Is.EqualTo(delta / 2).Within(0.1 * delta / 2));
        }
        else
        {
            Assert.That(nu, Is.EqualTo(1));
            Assert.That(predictedKl, Is.LessThan(delta / 2));
        }
    }

    [TestCase(1, 0, 40_000, TestName = "AcktrLearnsCartPoleAndBuildsOneBlockPerLayer(synchronous inverses every update)")]
    [TestCase(10, 9, 60_000, TestName = "AcktrLearnsCartPoleAndBuildsOneBlockPerLayer(defaults: every 10, in the background)")]
    public void AcktrLearnsCartPoleAndBuildsOneBlockPerLayer(int inverseInterval, int inverseStaleness, int steps)
    {
        var env = new VectorEnvironment(_ => new CartPole(), 16);
        var policy = ActorCritic.Mlp([4], env.ActionSpace, seed: 1);
        var options = new AcktrOptions { InverseInterval = inverseInterval, InverseStaleness = inverseStaleness };
        var acktr = new Acktr(policy, env, options, seed: 1);
        acktr.Learn(steps);
        TestContext.Out.WriteLine($"mean return after {steps} steps: {env.Episodes.MeanReturn()}");
        Assert.That(acktr.Curvature.Blocks, Has.Count.EqualTo(6), "3 Dense layers in each of actor and critic");
        Assert.That(acktr.Curvature.Uncovered, Is.Empty);
        Assert.That(acktr.LastScale, Is.InRange(0.0, 1.0));
        Assert.That(env.Episodes.MeanReturn(), Is.GreaterThan(60));
    }

    [Test]
    public void AcktrPreconditionsTheConvTorsoWithKfc()
    {
        var env = new VectorEnvironment(_ => new MinAtarBreakout(), 2);
        var policy = ActorCritic.MinAtar(env.ObservationShape, env.ActionSpace, seed: 1);
        var acktr = new Acktr(policy, env, new AcktrOptions { StepsPerEnv = 5, ColdUpdates = 1 }, seed: 1);
        acktr.Learn(40);
        Assert.That(acktr.Curvature.Blocks.OfType<KfcBlock>().Count(), Is.EqualTo(1));
        Assert.That(acktr.Curvature.Blocks.OfType<KroneckerFactoredBlock>().Count(), Is.EqualTo(3));
        Assert.That(double.IsFinite(acktr.LastScale), Is.True);
        Assert.That(policy.Parameters().All(p => p.ToDoubleArray().All(double.IsFinite)), Is.True);
    }

    [Test]
    public void NonFiniteStatisticsResetTheBlockInsteadOfPreconditioning()
    {
        var policy = LinearPolicy(2, ActionSpace.Discrete(2), 8);
        var curvature = new ActorCriticCurvature(policy);
        float[] obs = [1f, float.NaN, 0.5f, 0.5f];
        double[] actions = [0, 1];
        using var scope = TensorScope.Begin();
        var (logProb, _, value) = curvature.Record(() => PolicyEvaluation.Evaluate(policy, obs, actions, 2));
        curvature.UpdateStatistics(logProb, value, 1.0, 0.99, new System.Random(1));
        Assert.That(curvature.RefreshInverses(0.01), Is.False);
        Assert.That(curvature.Ready, Is.False);
        Assert.That(curvature.Blocks.All(b => b.UpdateCount == 0 && !b.HasInverse), Is.True, "statistics discarded");
    }
}
