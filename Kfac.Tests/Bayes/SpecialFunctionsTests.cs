using Kfac.Bayes;
using NUnit.Framework;

namespace Kfac.Tests.Bayes;

/// <summary>log Gamma, digamma and trigamma against exact values and against each other's derivatives.</summary>
public class SpecialFunctionsTests
{
    [Test]
    public void LogGammaMatchesExactValues()
    {
        Assert.That(SpecialFunctions.LogGamma(0.5), Is.EqualTo(0.5 * Math.Log(Math.PI)).Within(1e-12));
        Assert.That(SpecialFunctions.LogGamma(1), Is.EqualTo(0).Within(1e-12));
        Assert.That(SpecialFunctions.LogGamma(10), Is.EqualTo(Math.Log(362880)).Within(1e-12));
        Assert.That(SpecialFunctions.LogGamma(6.5), Is.EqualTo(Math.Log(287.88527781504433)).Within(1e-12));
    }

    [Test]
    public void DigammaMatchesExactValuesAndDerivative()
    {
        const double eulerGamma = 0.57721566490153286;
        Assert.That(SpecialFunctions.Digamma(1), Is.EqualTo(-eulerGamma).Within(1e-12));
        Assert.That(SpecialFunctions.Digamma(0.5), Is.EqualTo(-eulerGamma - 2 * Math.Log(2)).Within(1e-12));
        foreach (var x in new[] { 0.3, 1.7, 6, 42.5 })
        {
            double h = 1e-5 * Math.Max(1, x);
            double fd = (SpecialFunctions.LogGamma(x + h) - SpecialFunctions.LogGamma(x - h)) / (2 * h);
            Assert.That(SpecialFunctions.Digamma(x), Is.EqualTo(fd).Within(1e-8 * Math.Max(1, Math.Abs(fd))), $"x = {x}");
            double fd2 = (SpecialFunctions.Digamma(x + h) - SpecialFunctions.Digamma(x - h)) / (2 * h);
            Assert.That(SpecialFunctions.Trigamma(x), Is.EqualTo(fd2).Within(1e-7 * Math.Max(1, Math.Abs(fd2))), $"x = {x}");
        }
        Assert.That(SpecialFunctions.Trigamma(1), Is.EqualTo(Math.PI * Math.PI / 6).Within(1e-12));
    }

    [Test]
    public void RejectsNonPositiveArguments()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SpecialFunctions.Digamma(0));
        Assert.That(e!.ParamName, Is.EqualTo("x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpecialFunctions.LogGamma(-1));
    }
}
