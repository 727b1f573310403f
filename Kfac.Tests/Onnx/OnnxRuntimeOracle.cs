using Kfac.Autodiff;
using Kfac.Layers;
using Kfac.Onnx;
using Kfac.Tensors;
using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;

namespace Kfac.Tests.Onnx;

/// <summary>Runs an exported model in ONNX Runtime (an independent implementation of every ONNX operator) and
/// compares with the model's own evaluation-mode forward pass.</summary>
internal static class OnnxRuntimeOracle
{
    /// <summary>The largest |ours - ORT| / max(1, |ours|) over every output element, after checking that the
    /// output shapes agree.</summary>
    public static double MaxRelativeError(Module model, int[] exampleShape, int batch, int seed, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        byte[] onnx = OnnxExport.ToBytes(model, exampleShape, options);
        var rng = new System.Random(seed);
        var dtype = model.StateDict().Values.FirstOrDefault()?.DType ?? DType.Float32;
        using var x = Tensor.RandN(new Shape([batch, .. exampleShape]), rng, dtype: dtype);
        double[] ours;
        int[] ourShape;
        model.Eval();
        using (GradMode.Disable())
        {
            var y = model.Forward(x);
            ours = y.ToDoubleArray();
            ourShape = y.Shape.ToArray();
        }
        long[] inShape = [batch, .. exampleShape.Select(d => (long)d)];
        using var session = new InferenceSession(onnx);
        using var input = dtype == DType.Float32
            ? OrtValue.CreateTensorValueFromMemory(x.ToArray<float>(), inShape)
            : OrtValue.CreateTensorValueFromMemory(x.ToArray<double>(), inShape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [options.InputName], [input], [options.OutputName]);
        var result = outputs[0];
        Assert.That(result.GetTensorTypeAndShape().Shape, Is.EqualTo(ourShape.Select(d => (long)d).ToArray()), "output shape");
        double[] theirs = dtype == DType.Float32
            ? result.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray()
            : result.GetTensorDataAsSpan<double>().ToArray();
        Assert.That(theirs, Has.Length.EqualTo(ours.Length));
        double worst = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.That(double.IsFinite(ours[i]) && double.IsFinite(theirs[i]), $"element {i}: ours {ours[i]}, ORT {theirs[i]}");
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]) / Math.Max(1, Math.Abs(ours[i])));
        }
        return worst;
    }

    /// <summary>Overwrites every parameter with N(0, scale^2) values (so zero biases and unit BN scales do not hide
    /// a transposed or dropped tensor), keeping running statistics.</summary>
    public static void Randomize(Module model, int seed, double scale = 0.3)
    {
        var rng = new System.Random(seed);
        foreach (var p in model.Parameters())
        {
            using var r = Tensor.RandN(p.Shape, rng, std: scale, dtype: p.DType);
            using (GradMode.Disable()) p.CopyFrom(r);
        }
    }

    /// <summary>Moves batch-norm running statistics away from (0, 1) with a few training-mode passes.</summary>
    public static void WarmBatchNorm(Module model, int[] exampleShape, int seed)
    {
        var rng = new System.Random(seed);
        model.Train();
        for (int i = 0; i < 5; i++)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.RandN(new Shape([8, .. exampleShape]), rng, mean: 0.5, std: 2);
            model.Forward(x);
        }
        model.Eval();
    }
}
