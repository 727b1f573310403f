using Kfac.Optim;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Optim;

/// <summary>
/// Golden numbers: each optimizer against (a) parameters after 5 steps produced once with PyTorch 1.13 in
/// float64 (script in the comment below), and (b) the independent double reference step by step over 12
/// steps; float32 runs follow the reference to float32 accuracy.
/// </summary>
public class GoldenTests
{
    // Produced by torch 1.13 (float64) on OptimTestProblem: p0 = [[0.5, -1], [1.5, 2]], p1 = [-0.3, 0.8, 0],
    // g = c * x + b + 0.1 * x^3, 5 x (p.grad = g; opt.step()), printed with repr.
    private static readonly Dictionary<string, double[]> Torch = new()
    {
        ["SgdPlain"] = [0.25181398580252695, -0.2515634068847041, 0.9342855942207722, 0.302946139035629, 0.05252880208004986, 0.5855005066658795, -0.011527979360570224],
        ["SgdMomentumDampening"] = [-0.09596459242018299, 0.7147165922110785, 0.11196194425361129, -1.6001779898764668, 0.5250368492497124, 0.2687562365742205, -0.022102702365390445],
        ["SgdNesterov"] = [-0.16948142230612998, 0.5613632403991664, -0.14194461881258782, -0.6518196162489986, 0.5391783148110988, 0.11147053877045286, -0.014504815579895757],
        ["AdamL2"] = [0.02009290864359721, -0.5075101026938288, 1.005160155353279, 1.5036896776999602, 0.1822830485602586, 0.30483283859286636, 0.040173228911584466],
        ["AdamW"] = [0.006805760591671067, -0.4693799789006934, 0.9424519554922882, 1.4164804296271205, 0.18668980317310108, 0.27578785929350286, 0.03859056396842123],
        ["RmsPropPlain"] = [0.21383406347862677, -0.6958145979266792, 1.191358765349861, 1.6875337260359173, -0.010707579237115163, 0.49057814154614987, -0.012526885767111447],
        ["RmsPropCenteredMomentum"] = [0.3070704468859359, -0.802144157738645, 1.3010272760779777, 1.799822548327359, -0.10617058925705597, 0.6009635338967689, -0.015253476752199254],
    };

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("SgdPlain", ps => new Sgd(ps, new SgdOptions { LearningRate = 0.1 }), () => new ReferenceSgd(0.1));
        yield return Case("SgdMomentumDampening",
            ps => new Sgd(ps, new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Dampening = 0.1, WeightDecay = 0.01 }),
            () => new ReferenceSgd(0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01));
        yield return Case("SgdNesterov",
            ps => new Sgd(ps, new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 0.01 }),
            () => new ReferenceSgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01));
        yield return Case("AdamL2",
            ps => new Adam(ps, new AdamOptions { LearningRate = 0.1, WeightDecay = 0.01 }),
            () => new ReferenceAdam(0.1, weightDecay: 0.01));
        yield return Case("AdamW",
            ps => new Adam(ps, new AdamOptions { LearningRate = 0.1, WeightDecay = 0.1, DecoupledWeightDecay = true }),
            () => new ReferenceAdam(0.1, weightDecay: 0.1, decoupled: true));
        yield return Case("RmsPropPlain", ps => new RmsProp(ps, new RmsPropOptions()), () => new ReferenceRmsProp(0.01));
        yield return Case("RmsPropCenteredMomentum",
            ps => new RmsProp(ps, new RmsPropOptions { LearningRate = 0.01, Alpha = 0.9, Momentum = 0.5, Centered = true, WeightDecay = 0.01 }),
            () => new ReferenceRmsProp(0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.01));
    }

    private static TestCaseData Case(string name, Func<Tensor[], Optimizer> create, Func<IReferenceOptimizer> reference) =>
        new TestCaseData(name, create, reference).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorchAfterFiveSteps(string name, Func<Tensor[], Optimizer> create, Func<IReferenceOptimizer> reference)
    {
        var ps = OptimTestProblem.Parameters(DType.Float64);
        using var opt = create(ps);
        var ours = OptimTestProblem.Run(opt, ps, 5)[^1];
        var refs = ReferenceRun.Run(reference(), 5)[^1];
        Assert.Multiple(() =>
        {
            for (int i = 0; i < ours.Length; i++)
            {
                Assert.That(ours[i], Is.EqualTo(Torch[name][i]).Within(1e-12), $"element {i} vs torch");
                Assert.That(refs[i], Is.EqualTo(Torch[name][i]).Within(1e-13), $"reference element {i} vs torch");
            }
        });
    }

    [TestCaseSource(nameof(Cases))]
    public void FollowsReferenceEveryStepInDouble(string name, Func<Tensor[], Optimizer> create, Func<IReferenceOptimizer> reference)
    {
        var ps = OptimTestProblem.Parameters(DType.Float64);
        using var opt = create(ps);
        var ours = OptimTestProblem.Run(opt, ps, 12);
        var refs = ReferenceRun.Run(reference(), 12);
        for (int k = 0; k < 12; k++)
            for (int i = 0; i < ours[k].Length; i++)
                Assert.That(ours[k][i], Is.EqualTo(refs[k][i]).Within(1e-12), $"{name}: step {k + 1}, element {i}");
    }

    [TestCaseSource(nameof(Cases))]
    public void FollowsReferenceInFloat32(string name, Func<Tensor[], Optimizer> create, Func<IReferenceOptimizer> reference)
    {
        var ps = OptimTestProblem.Parameters(DType.Float32);
        using var opt = create(ps);
        var ours = OptimTestProblem.Run(opt, ps, 5);
        var refs = ReferenceRun.Run(reference(), 5);
        for (int k = 0; k < 5; k++)
            for (int i = 0; i < ours[k].Length; i++)
                Assert.That(ours[k][i], Is.EqualTo(refs[k][i]).Within(2e-5), $"{name}: step {k + 1}, element {i}");
    }

    [Test]
    public void SgdByHand()
    {
        // One parameter x = 1, g = 2x (loss x^2), lr 0.1, momentum 0.5, dampening 0.5:
        // step 1: buf = g = 2 (no dampening on the first step), x = 1 - 0.2 = 0.8
        // step 2: g = 1.6, buf = 0.5 * 2 + 0.5 * 1.6 = 1.8, x = 0.8 - 0.18 = 0.62
        // step 3: g = 1.24, buf = 0.9 + 0.62 = 1.52, x = 0.62 - 0.152 = 0.468
        var x = Tensor.FromArray([1.0], 1);
        x.RequiresGrad = true;
        using var opt = new Sgd([x], new SgdOptions { LearningRate = 0.1, Momentum = 0.5, Dampening = 0.5 });
        double[] expected = [0.8, 0.62, 0.468];
        foreach (double e in expected)
        {
            OptimTestProblem.SetGrad(x, [2 * x.Item()]);
            opt.Step();
            Assert.That(x.Item(), Is.EqualTo(e).Within(1e-15));
        }
        Assert.That(opt.State.Parameters[0].Buffer("momentum_buffer").Item(), Is.EqualTo(1.52).Within(1e-15));
    }

    [Test]
    public void AdamFirstStepByHand()
    {
        // Bias correction makes the first Adam step lr * g / (|g| + eps) = lr * sign(g) (up to eps).
        var x = Tensor.FromArray([1.0, -2.0, 0.0], 3);
        x.RequiresGrad = true;
        using var opt = new Adam([x], new AdamOptions { LearningRate = 0.01, Epsilon = 1e-8 });
        OptimTestProblem.SetGrad(x, [3.0, -0.5, 0.0]);
        opt.Step();
        var v = x.ToArray<double>();
        Assert.That(v[0], Is.EqualTo(1 - 0.01 * 3 / (3 + 1e-8)).Within(1e-15));
        Assert.That(v[1], Is.EqualTo(-2 + 0.01 * 0.5 / (0.5 + 1e-8)).Within(1e-15));
        Assert.That(v[2], Is.EqualTo(0.0));
        Assert.That(opt.State.Parameters[0].Step, Is.EqualTo(1));
    }
}
