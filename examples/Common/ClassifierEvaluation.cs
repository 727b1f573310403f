using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;

namespace Kfac.Examples;

/// <summary>Test accuracy and mean test loss of a classifier that outputs logits, in evaluation mode, on the device
/// the model's parameters live on.</summary>
public static class ClassifierEvaluation
{
    public static Dictionary<string, double> Evaluate(Module model, ILoss loss, LabeledData test)
    {
        using var noGrad = GradMode.Disable();
        model.Eval();
        int correct = 0;
        double lossSum = 0;
        var device = ExampleDevices.Of(model);
        using var loader = DataLoader.InOrder(test, Math.Min(1000, test.Count), device);
        foreach (var batch in loader.Epoch())
        {
            using var scope = TensorScope.Begin();
            var logits = model.Forward(batch.Inputs);
            var labels = batch.Labels!;
            lossSum += loss.Value(logits, SoftmaxOps.OneHot(labels, test.ClassCount, device: device)).Item() * batch.Count;
            var z = logits.ToArray<float>();
            int k = test.ClassCount;
            for (int i = 0; i < batch.Count; i++)
            {
                int best = 0;
                for (int c = 1; c < k; c++) if (z[i * k + c] > z[i * k + best]) best = c;
                if (best == labels[i]) correct++;
            }
        }
        model.Train();
        return new Dictionary<string, double> { ["test_accuracy"] = (double)correct / test.Count, ["test_loss"] = lossSum / test.Count };
    }
}
