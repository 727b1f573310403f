using Kfac.Autodiff;
using Kfac.Data;
using Kfac.Layers;
using Kfac.Tensors;

namespace Kfac.Examples.ConvNet;

public static class Evaluation
{
    /// <summary>Fraction of the whole set classified correctly, in evaluation mode (running batch-norm statistics).</summary>
    public static double Accuracy(Module model, LabeledData data, int batchSize = 500)
    {
        model.Eval();
        try
        {
            using var noGrad = GradMode.Disable();
            using var loader = DataLoader.InOrder(data, batchSize);
            int correct = 0;
            foreach (var batch in loader.Epoch())
                using (TensorScope.Begin())
                {
                    var x = batch.Inputs.Reshape(batch.Count, 1, ConvNetModel.Height, ConvNetModel.Width);
                    var logits = model.Forward(x).ToArray<float>();
                    int k = ConvNetModel.Classes;
                    for (int i = 0; i < batch.Count; i++)
                    {
                        int best = 0;
                        for (int c = 1; c < k; c++) if (logits[i * k + c] > logits[i * k + best]) best = c;
                        if (best == batch.Labels![i]) correct++;
                    }
                }
            return (double)correct / data.Count;
        }
        finally
        {
            model.Train();
        }
    }
}
