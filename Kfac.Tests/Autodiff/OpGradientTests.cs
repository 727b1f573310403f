using Kfac.Autodiff;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Autodiff;

/// <summary>Central-difference checks (double) of every primitive's backward and JVP: one line per op.</summary>
public class OpGradientTests
{
    private const double Tolerance = 1e-6;

    /// <summary>Random Float64 inputs of the given shapes; <paramref name="positive"/> keeps them in [0.5, 2).</summary>
    private static void Check(Func<Tensor[], Tensor> f, int[][] shapes, bool positive = false, int seed = 7)
    {
        var rng = new System.Random(seed);
        var inputs = shapes.Select(s => positive
            ? Tensor.Rand(new Shape(s), rng, 0.5, 2, DType.Float64)
            : Tensor.RandN(new Shape(s), rng, dtype: DType.Float64)).ToArray();
        var result = GradCheck.Run(f, inputs);
        Assert.That(result.Passed(Tolerance), Is.True,
            $"gradient error {result.MaxGradientError:G3}, jvp error {result.MaxJvpError:G3}: {result.Detail}");
    }

    private static int[] S(params int[] d) => d;

    [Test] public void MatMul() => Check(x => x[0].MatMul(x[1]), [S(3, 4), S(4, 5)]);
    [Test] public void MatMulTransA() => Check(x => x[0].MatMul(x[1], transSelf: true), [S(4, 3), S(4, 5)]);
    [Test] public void MatMulTransB() => Check(x => x[0].MatMul(x[1], transOther: true), [S(3, 4), S(5, 4)]);
    [Test] public void MatMulTransBoth() => Check(x => x[0].MatMul(x[1], true, true), [S(4, 3), S(5, 4)]);
    [Test] public void MatMulVectorShapes() => Check(x => x[0].MatMul(x[1]), [S(1, 7), S(7, 1)]);

    [Test] public void Linear() => Check(x => LinearOp.Linear(x[0], x[1], x[2]), [S(3, 4), S(5, 4), S(5)]);
    [Test] public void LinearOneRowOneOutput() => Check(x => LinearOp.Linear(x[0], x[1], x[2]), [S(1, 7), S(1, 7), S(1)]);

    [Test] public void Add() => Check(x => x[0] + x[1], [S(3, 4), S(3, 4)]);
    [Test] public void AddRow() => Check(x => x[0] + x[1], [S(3, 4), S(1, 4)]);
    [Test] public void AddRowRank1() => Check(x => x[0] + x[1], [S(3, 4), S(4)]);
    [Test] public void AddColumn() => Check(x => x[0] + x[1], [S(3, 4), S(3, 1)]);
    [Test] public void AddScalarTensor() => Check(x => x[0] + x[1], [S(3, 4), S(1)]);
    [Test] public void AddChannel() => Check(x => x[0] + x[1], [S(2, 3, 2, 2), S(1, 3, 1, 1)]);
    [Test] public void AddLeftBroadcast() => Check(x => x[0] + x[1], [S(1, 4), S(3, 4)]);
    [Test] public void Sub() => Check(x => x[0] - x[1], [S(3, 4), S(3, 4)]);
    [Test] public void SubRow() => Check(x => x[0] - x[1], [S(3, 4), S(1, 4)]);
    [Test] public void SubLeftColumn() => Check(x => x[0] - x[1], [S(3, 1), S(3, 4)]);
    [Test] public void Mul() => Check(x => x[0] * x[1], [S(3, 4), S(3, 4)]);
    [Test] public void MulRow() => Check(x => x[0] * x[1], [S(3, 4), S(1, 4)]);
    [Test] public void MulLeftColumn() => Check(x => x[0] * x[1], [S(3, 1), S(3, 4)]);
    [Test] public void Div() => Check(x => x[0] / x[1], [S(3, 4), S(3, 4)], positive: true);
    [Test] public void DivRow() => Check(x => x[0] / x[1], [S(3, 4), S(1, 4)], positive: true);
    [Test] public void DivColumn() => Check(x => x[0] / x[1], [S(3, 4), S(3, 1)], positive: true);
    [Test] public void DivLeftBroadcast() => Check(x => x[0] / x[1], [S(1, 4), S(3, 4)], positive: true);
    [Test] public void SameTensorTwice() => Check(x => x[0] * x[0] + x[0], [S(2, 3)]);

    [Test] public void Affine() => Check(x => 2.5 * x[0] - 1.0, [S(3, 4)]);
    [Test] public void ScalarMinusTensor() => Check(x => 1.0 - x[0], [S(3, 4)]);
    [Test] public void Neg() => Check(x => -x[0], [S(3, 4)]);
    [Test] public void Exp() => Check(x => x[0].Exp(), [S(3, 4)]);
    [Test] public void Log() => Check(x => x[0].Log(), [S(3, 4)], positive: true);
    [Test] public void Tanh() => Check(x => x[0].Tanh(), [S(3, 4)]);
    [Test] public void Sigmoid() => Check(x => x[0].Sigmoid(), [S(3, 4)]);
    [Test] public void Relu() => Check(x => x[0].Relu(), [S(3, 4)]);
    [Test] public void Softplus() => Check(x => x[0].Softplus(), [S(3, 4)]);
    [Test] public void SoftplusLargeInputs() => Check(x => (x[0] * 40.0).Softplus(), [S(3, 4)]);
    [Test] public void Square() => Check(x => x[0].Square(), [S(3, 4)]);
    [Test] public void Sqrt() => Check(x => x[0].Sqrt(), [S(3, 4)], positive: true);

    [Test] public void SumAll() => Check(x => x[0].Sum(), [S(3, 4)]);
    [Test] public void MeanAll() => Check(x => x[0].Mean(), [S(3, 4)]);
    [Test] public void SumAxis0() => Check(x => x[0].Sum(0), [S(3, 4)]);
    [Test] public void SumAxis1KeepDim() => Check(x => x[0].Sum(1, keepDim: true), [S(3, 4)]);
    [Test] public void SumMiddleAxis() => Check(x => x[0].Sum(1), [S(2, 3, 4)]);
    [Test] public void MeanLastAxis() => Check(x => x[0].Mean(-1), [S(2, 3, 5)]);

    [Test] public void Reshape() => Check(x => x[0].Reshape(4, -1), [S(2, 3, 2)]);
    [Test] public void Transpose() => Check(x => x[0].T(), [S(3, 5)]);
    [Test] public void SigmoidCrossEntropySum() => Check(x => SigmoidCrossEntropyOp.SigmoidCrossEntropySum(x[0], x[1], 0.7), [S(3, 5), S(3, 5)]);
    [Test] public void SigmoidCrossEntropySumLargeLogits() => Check(x => SigmoidCrossEntropyOp.SigmoidCrossEntropySum(x[0] * 30.0, x[1], 1), [S(1, 7), S(1, 7)]);
    [Test] public void LogSoftmax() => Check(x => x[0].LogSoftmax(), [S(4, 5)]);
    [Test] public void LogSoftmaxOneClass() => Check(x => x[0].LogSoftmax(), [S(3, 1)]);
    [Test] public void LogSumExp() => Check(x => x[0].LogSumExp(), [S(4, 5)]);
    [Test] public void LogSumExpKeepDim() => Check(x => x[0].LogSumExp(keepDim: true), [S(2, 3, 4)]);

    [Test]
    public void Composite_TwoLayerNetLoss() => Check(
        x => ((x[0].MatMul(x[1], transOther: true) + x[2]).Tanh().MatMul(x[3], transOther: true)).LogSoftmax(),
        [S(5, 4), S(3, 4), S(3), S(6, 3)]);
}
