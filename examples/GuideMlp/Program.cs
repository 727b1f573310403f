using Kfac.Data;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;

// docs/guide.md, "An MLP from your own arrays". Your data: a feature matrix and class labels.
(double[,] features, int[] labels) = MakeData(examples: 900, seed: 1);

// Split (stratified, seeded), standardise with the training statistics, build the model.
var all = LabeledData.FromArrays(features, labels);
var split = DataSplit.TrainValidationTest(all, validationFraction: 0.15, testFraction: 0.15, seed: 0);
var scaler = Standardizer.Fit(split.Train);
var (train, validation, test) = (scaler.Transform(split.Train), scaler.Transform(split.Validation), scaler.Transform(split.Test));
var model = Mlp.Create([all.Inputs.Shape[1], 64, 64, all.ClassCount], Activation.Tanh, seed: 0);

// K-FAC: the loss defines the Fisher; lambda 1 suits classifiers (the library default 150 is the paper's autoencoder value).
var loss = new SoftmaxCrossEntropy();
var step = TrainingSteps.Create(model, loss, new OptimizerChoice { Name = "kfac", Kfac = new KfacOptions { InitialLambda = 1 } });
using var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0);
for (int epoch = 1; epoch <= 15; epoch++)
{
    double lossSum = 0;
    foreach (var batch in loader.Epoch())
    {
        using var scope = TensorScope.Begin();   // frees the step's temporaries
        lossSum += step.Step(batch.Inputs, SoftmaxOps.OneHot(batch.Labels!, all.ClassCount)) * batch.Count;
    }
    if (epoch % 5 == 0) Console.WriteLine($"epoch {epoch}: train loss {lossSum / train.Count:F4}, validation accuracy {model.Accuracy(validation):F3}");
}

// Evaluate, predict, save and load.
Console.WriteLine($"test accuracy {model.Accuracy(test):F3}");
Console.WriteLine(model.ConfusionMatrix(test));
int[] predicted = model.PredictClasses(test.Inputs);
model.SaveWeights("guide-mlp.safetensors");
var restored = Mlp.Create([all.Inputs.Shape[1], 64, 64, all.ClassCount], Activation.Tanh);
restored.LoadWeights("guide-mlp.safetensors");
bool same = restored.PredictClasses(test.Inputs).SequenceEqual(predicted);
Console.WriteLine($"first predictions {string.Join(" ", predicted.Take(10))}; reloaded model agrees: {same}");
return same && model.Accuracy(test) > 0.9 ? 0 : 1;

// Three classes on two interleaved spirals' arms in 2-D plus 6 noise features, in different units: a data set an
// MLP must learn (not linearly separable) and that needs standardising.
static (double[,], int[]) MakeData(int examples, int seed)
{
    var rng = new Random(seed);
    var x = new double[examples, 8];
    var y = new int[examples];
    for (int i = 0; i < examples; i++)
    {
        int c = i % 3;
        double r = rng.NextDouble(), angle = 4 * r + 2 * Math.PI * c / 3 + 0.2 * rng.NextDouble();
        x[i, 0] = 100 * r * Math.Cos(angle);           // centimetres
        x[i, 1] = 0.001 * r * Math.Sin(angle);         // kilometres
        for (int j = 2; j < 8; j++) x[i, j] = rng.NextDouble() * j;
        y[i] = c;
    }
    return (x, y);
}
