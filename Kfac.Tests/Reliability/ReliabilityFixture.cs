using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;

namespace Kfac.Tests.Reliability;

/// <summary>Small models, data and optimizers shared by the reliability tests, plus a temporary directory.</summary>
internal static class ReliabilityFixture
{
    public const int ExampleCount = 40, BatchSize = 8, LoaderSeed = 3;

    /// <summary>A 4-input two-class problem (deterministic).</summary>
    public static (Tensor X, int[] Labels) TinyData()
    {
        var rng = new System.Random(11);
        var x = Tensor.RandN(new Shape(ExampleCount, 4), rng);
        var v = x.ToArray<float>();
        var labels = Enumerable.Range(0, ExampleCount).Select(i => v[i * 4] - v[i * 4 + 2] > 0 ? 1 : 0).ToArray();
        return (x, labels);
    }

    public static Sequential Model(int seed, Activation activation = Activation.Tanh) => Mlp.Create([4, 6, 2], activation, seed: seed);

    /// <summary>"sgd", "adam" or "kfac" on <paramref name="model"/>.</summary>
    public static ITrainingStep Step(string optimizer, Module model, double? learningRate = null) => optimizer switch
    {
        "sgd" => new FirstOrderStep(model, new SoftmaxCrossEntropy(), new Sgd(model.Parameters(), new SgdOptions { LearningRate = learningRate ?? 0.1, Momentum = 0.9 }), "sgd"),
        "adam" => new FirstOrderStep(model, new SoftmaxCrossEntropy(), new Adam(model.Parameters(), new AdamOptions { LearningRate = learningRate ?? 0.01 }), "adam"),
        "kfac" => new KfacStep(model, new KfacOptimizer(model.Parameters(), new SoftmaxCrossEntropy(), new KfacOptions { InitialLambda = 1, InverseInterval = 2, Seed = 7 })),
        _ => throw new ArgumentException(optimizer),
    };

    public static OptimizerStateDict Export(ITrainingStep step) => step.ExportState();

    public static void Import(ITrainingStep step, OptimizerStateDict state) => step.ImportState(state);

    /// <summary>A fresh temporary directory, removed by disposing the result.</summary>
    public static TempDirectory TempDir() => new();

    public sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kfac-reliability-{Guid.NewGuid():N}");

        public TempDirectory() => Directory.CreateDirectory(Path);

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
