using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Autodiff;

/// <summary>Float32 elementwise functions against Math in double, including arguments where naive formulas cancel.</summary>
public class UnaryAccuracyTests
{
    private static readonly float[] Arguments = [-40f, -20f, -5f, -1f, -0.3f, -1e-3f, -1e-4f, -1e-6f, 0f, 1e-6f, 1e-4f, 1e-3f, 0.01f, 0.3f, 1f, 5f, 20f];

    private static void Check(Func<Tensor, Tensor> f, Func<double, double> exact, double relative)
    {
        var y = f(Tensor.FromArray(Arguments, Arguments.Length)).ToArray<float>();
        for (int i = 0; i < Arguments.Length; i++)
        {
            double e = exact(Arguments[i]);
            Assert.That(y[i], Is.EqualTo(e).Within(relative * Math.Abs(e) + 1e-30), $"x = {Arguments[i]}");
        }
    }

    [Test] public void Tanh() => Check(x => x.Tanh(), Math.Tanh, 2e-6);

    [Test] public void Softplus() => Check(x => x.Softplus(), v => v > 30 ? v : v < -30 ? Math.Exp(v) : Math.Log(1 + Math.Exp(v)), 2e-6);

    [Test] public void Sigmoid() => Check(x => x.Sigmoid(), v => 1 / (1 + Math.Exp(-v)), 2e-6);

    [Test] public void Exp() => Check(x => x.Exp(), Math.Exp, 2e-6);
}
