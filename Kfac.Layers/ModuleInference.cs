using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Metrics;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>
/// Using a trained model: batched prediction without a graph, and accuracy / confusion matrix on labelled data.
/// Every method runs the model in evaluation mode (batch norm uses its running statistics and does not update
/// them) with gradient recording off, then restores each module's training flag, so it can be called between
/// training steps.
/// </summary>
public static class ModuleInference
{
    /// <summary>The default number of examples per forward pass.</summary>
    public const int DefaultBatchSize = 512;

    /// <summary>The model's outputs for every row of <paramref name="inputs"/> ([N, ...] in, [N, ...] out),
    /// computed <paramref name="batchSize"/> examples at a time (bounded memory for large N). The result has the
    /// model's dtype and lives on the CPU; it records no graph and belongs to the caller (or the current
    /// TensorScope, like any new tensor).</summary>
    public static Tensor Predict(this Module model, Tensor inputs, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (inputs.Rank < 1)
            throw new ShapeMismatchException($"Predict needs inputs with a leading example dimension, got {inputs.Shape}", nameof(inputs));
        var parameter = model.StateDict().Values.FirstOrDefault();
        var dtype = parameter?.DType ?? inputs.DType;
        var device = parameter?.Device ?? inputs.Device;
        int n = inputs.Shape[0];
        int per = n == 0 ? 0 : inputs.Numel / n;
        return WithEvaluation(model, () =>
        {
            double[] outputs = [];
            Shape? exampleShape = null;
            var host = inputs.ToDoubleArray();
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                using var scope = TensorScope.Begin();
                var x = Tensor.FromDoubles(host.AsSpan(start * per, count * per), inputs.Shape.With(0, count), dtype, device);
                var y = model.Forward(x);
                if (y.Rank < 1 || y.Shape[0] != count)
                    throw new ShapeMismatchException($"Predict: the model turned {count} examples {x.Shape} into {y.Shape}, not one output row per example", nameof(model));
                exampleShape ??= y.Shape;
                if (start == 0) outputs = new double[(long)n * (y.Numel / count)];
                y.ToDoubleArray().CopyTo(outputs, (long)start * (y.Numel / count));
            }
            if (exampleShape is null)
                throw new ArgumentException("Predict needs at least one example (the output shape is unknown for none)", nameof(inputs));
            return Tensor.FromDoubles(outputs, exampleShape.Value.With(0, n), dtype);
        });
    }

    /// <summary>The predicted class of each example: the arg max of the model's [N, classes] outputs (logits),
    /// -1 where an output is NaN.</summary>
    public static int[] PredictClasses(this Module model, Tensor inputs, int batchSize = DefaultBatchSize)
    {
        using var scope = TensorScope.Begin();
        return Classification.ArgMax(model.Predict(inputs, batchSize));
    }

    /// <summary>The fraction of <paramref name="data"/> classified correctly.</summary>
    public static double Accuracy(this Module model, LabeledData data, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Classification.Accuracy(model.PredictClasses(data.Inputs, batchSize), data.Labels);
    }

    /// <summary>Counts of (true class, predicted class) over <paramref name="data"/>.</summary>
    public static ConfusionMatrix ConfusionMatrix(this Module model, LabeledData data, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new ConfusionMatrix(model.PredictClasses(data.Inputs, batchSize), data.Labels, data.ClassCount);
    }

    private static T WithEvaluation<T>(Module model, Func<T> run)
    {
        var flags = model.Modules().Select(m => (m, m.IsTraining)).ToList();
        try
        {
            model.Eval();
            using var noGrad = GradMode.Disable();
            return run();
        }
        finally
        {
            foreach (var (m, training) in flags) m.Train(training);
        }
    }
}
