using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Layers;

public class LayerTests
{
    private static Sequential SmallNet(int seed = 1) => new(
        new Dense(4, 5, rng: new System.Random(seed)), new Sigmoid(),
        new Dense(5, 3, rng: new System.Random(seed + 1)), new Tanh(),
        new Dense(3, 2, bias: false, rng: new System.Random(seed + 2)), new Softplus(),
        new Dense(2, 2, rng: new System.Random(seed + 3)), new Relu());

    [Test]
    public void NetworkGradientsAndJvpMatchFiniteDifferences()
    {
        var net = SmallNet();
        net.To(DType.Float64);
        var x = Tensor.RandN(new Shape(3, 4), new System.Random(2), dtype: DType.Float64);
        var ps = net.Parameters().ToArray();
        foreach (var p in ps) p.RequiresGrad = false;
        var r = GradCheck.Run(inputs => net.Forward(inputs[0]), [x, .. ps]);
        Assert.That(r.Passed(1e-6), Is.True, r.ToString());
    }

    [Test]
    public void DenseComputesXWTransposePlusBias()
    {
        var d = new Dense(2, 3, dtype: DType.Float64);
        d.Weight.CopyFrom<double>([1, 2, 3, 4, 5, 6]);
        d.Bias!.CopyFrom<double>([0.5, -1, 2]);
        var y = d.Forward(Tensor.FromArray(new[] { 1.0, -1.0 }, 1, 2)).ToArray<double>();
        Assert.That(y, Is.EqualTo(new[] { -1 + 0.5, -1 - 1.0, -1 + 2.0 }));
    }

    [Test]
    public void ParametersAreNamedLikePyTorch()
    {
        var names = SmallNet().NamedParameters().Select(p => p.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "6.weight", "6.bias" }));
    }

    [Test]
    public void StateDictRoundTripIsExact()
    {
        var a = SmallNet(1);
        var b = SmallNet(10);
        b.LoadStateDict(a.StateDict());
        foreach (var ((na, pa), (nb, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            Assert.That(nb, Is.EqualTo(na));
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()));
        }
    }

    [Test]
    public void LoadStateDictWithWrongShapeNamesTensorAndShapesAndChangesNothing()
    {
        var model = new Sequential(new Dense(4, 5), new Dense(5, 3));
        var before = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        var other = new Sequential(new Dense(4, 5, rng: new System.Random(9)), new Dense(5, 2)).StateDict();
        var e = Assert.Throws<Kfac.Serialization.StateDictMismatchException>(() => model.LoadStateDict(other));
        Assert.That(e!.Message, Does.Contain("'1.weight'").And.Contain("[2, 5]").And.Contain("[3, 5]"));
        var after = model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.That(after[i], Is.EqualTo(before[i]), "a failed load must not change any parameter");
    }

    [Test]
    public void LoadStateDictReportsMissingAndUnexpectedKeys()
    {
        var model = new Sequential(new Dense(2, 2));
        var state = new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros(new Shape(2, 2)), ["extra"] = Tensor.Zeros(new Shape(1)) };
        var e = Assert.Throws<Kfac.Serialization.StateDictMismatchException>(() => model.LoadStateDict(state));
        Assert.That(e!.Message, Does.Contain("'0.bias'").And.Contain("'extra'"));
    }

    [Test]
    public void ZeroGradKeepsBuffers()
    {
        var net = SmallNet();
        var x = Tensor.RandN(new Shape(3, 4), new System.Random(1));
        net.Forward(x).Sum().Backward();
        var grads = net.Parameters().Select(p => p.Grad).ToArray();
        net.ZeroGrad();
        var after = net.Parameters().Select(p => p.Grad).ToArray();
        for (int i = 0; i < grads.Length; i++)
        {
            Assert.That(after[i], Is.SameAs(grads[i]));
            Assert.That(after[i]!.ToArray<float>().All(v => v == 0), Is.True);
        }
    }

    [Test]
    public void TrainAndEvalPropagateToChildren()
    {
        var net = SmallNet();
        net.Eval();
        Assert.That(net.Modules().All(m => !m.IsTraining), Is.True);
        net.Train();
        Assert.That(net.Modules().All(m => m.IsTraining), Is.True);
    }

    [Test]
    public void DenseRejectsWrongInputWidth()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => new Dense(4, 2).Forward(Tensor.Zeros(new Shape(3, 5))));
        Assert.That(e!.Message, Does.Contain("[3, 5]").And.Contain("[batch, 4]"));
    }

    [Test]
    public void SparseInitialisationHasExactlyKNonzerosPerUnit()
    {
        var w = Initializer.Sparse(15).Weights(50, 784, new System.Random(1));
        for (int unit = 0; unit < 50; unit++)
            Assert.That(w.Skip(unit * 784).Take(784).Count(v => v != 0), Is.EqualTo(15));
        var small = Initializer.Sparse(15).Weights(3, 10, new System.Random(1));
        Assert.That(small.Count(v => v != 0), Is.EqualTo(30), "fewer inputs than k: all nonzero");
        var values = w.Where(v => v != 0).ToArray();
        double mean = values.Average(), var = values.Select(v => v * v).Average() - mean * mean;
        Assert.That(mean, Is.EqualTo(0).Within(0.15));
        Assert.That(var, Is.EqualTo(1).Within(0.2), "N(0, 1) nonzeros");
        Assert.That(Initializer.Sparse().Biases(5, 10, new System.Random(1)), Is.All.EqualTo(0));
    }

    [Test]
    public void GlorotAndHeScales()
    {
        var rng = new System.Random(2);
        var g = Initializer.GlorotUniform.Weights(300, 500, rng);
        double bound = Math.Sqrt(6.0 / 800);
        Assert.That(g.Max(), Is.LessThanOrEqualTo(bound));
        Assert.That(g.Min(), Is.GreaterThanOrEqualTo(-bound));
        Assert.That(g.Select(v => v * v).Average(), Is.EqualTo(bound * bound / 3).Within(0.05 * bound * bound / 3));
        var h = Initializer.HeNormal.Weights(300, 500, rng);
        Assert.That(h.Select(v => v * v).Average(), Is.EqualTo(2.0 / 500).Within(0.05 * 2.0 / 500));
    }
}
