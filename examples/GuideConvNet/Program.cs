using Kfac.Data;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;

// docs/guide.md, "A conv net". Your data: images as rows of pixels (here 16 x 16 grey, generated) and labels.
const int Side = 16;
(double[,] pixels, int[] labels) = MakeImages(examples: 1200, seed: 1);
var all = LabeledData.FromArrays(pixels, labels);
var split = DataSplit.TrainValidationTest(all, validationFraction: 0.1, testFraction: 0.2, seed: 0);

// Conv layers take NCHW images: Unflatten turns each row into [1, 16, 16]. Conv2d gets a KFC block (K-FAC for
// convolutions), Dense a Kronecker block, BatchNorm a full 2C x 2C block.
Sequential Build() => new(
    new Unflatten(1, Side, Side),
    new Conv2d(1, 8, kernel: 3, padding: 1, init: Initializer.HeNormal), new BatchNorm(8), new Relu(), new MaxPool2d(2),
    new Conv2d(8, 16, kernel: 3, padding: 1, init: Initializer.HeNormal), new Relu(), new MaxPool2d(2),
    new Flatten(),
    new Dense(16 * 4 * 4, 32, init: Initializer.HeNormal), new Relu(),
    new Dense(32, all.ClassCount));
var model = Build();

var loss = new SoftmaxCrossEntropy();
var step = (KfacStep)TrainingSteps.Create(model, loss, new OptimizerChoice { Name = "kfac", Kfac = new KfacOptions { InitialLambda = 1, InverseInterval = 10 } }); // K-FAC's step: Last has lambda
using var loader = new DataLoader(split.Train, batchSize: 100, shuffle: true, seed: 0, dropLast: true);
for (int epoch = 1; epoch <= 6; epoch++)
{
    foreach (var batch in loader.Epoch())
    {
        using var scope = TensorScope.Begin();
        step.Step(batch.Inputs, SoftmaxOps.OneHot(batch.Labels!, all.ClassCount));
    }
    Console.WriteLine($"epoch {epoch}: validation accuracy {model.Accuracy(split.Validation):F3} (lambda {step.Last!.Lambda:G3})");
}

Console.WriteLine($"test accuracy {model.Accuracy(split.Test):F3}");
Console.WriteLine(model.ConfusionMatrix(split.Test).ToString(["horizontal", "vertical", "diagonal", "ring"]));
model.SaveWeights("guide-convnet.safetensors");   // running batch-norm statistics included
var restored = Build();
restored.LoadWeights("guide-convnet.safetensors");
bool same = restored.PredictClasses(split.Test.Inputs).SequenceEqual(model.PredictClasses(split.Test.Inputs));
Console.WriteLine($"reloaded model agrees: {same}");
return same && model.Accuracy(split.Test) > 0.9 ? 0 : 1;

// Four shapes (a horizontal bar, a vertical bar, a diagonal, a ring) at random positions and brightness, with
// pixel noise: translation-invariant features, what convolutions and pooling are for.
static (double[,], int[]) MakeImages(int examples, int seed)
{
    var rng = new Random(seed);
    var x = new double[examples, Side * Side];
    var y = new int[examples];
    for (int i = 0; i < examples; i++)
    {
        int c = i % 4, r0 = rng.Next(3, Side - 3), c0 = rng.Next(3, Side - 3);
        double brightness = 0.5 + 0.5 * rng.NextDouble();
        for (int r = 0; r < Side; r++)
            for (int col = 0; col < Side; col++)
            {
                int dr = r - r0, dc = col - c0;
                bool on = c switch
                {
                    0 => dr == 0 && Math.Abs(dc) <= 3,
                    1 => dc == 0 && Math.Abs(dr) <= 3,
                    2 => dr == dc && Math.Abs(dr) <= 3,
                    _ => Math.Abs(dr * dr + dc * dc - 5) <= 2,
                };
                x[i, r * Side + col] = (on ? brightness : 0) + 0.15 * rng.NextDouble();
            }
        y[i] = c;
    }
    return (x, y);
}
