using Kfac.Data;
using Kfac.Examples;
using Kfac.Gpu;
using Kfac.Layers;
using Kfac.Layers.Models;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Training;

/// <summary>
/// --device through the examples' own code path (<see cref="ExampleCommand"/>, <see cref="Optimizers.Create"/>,
/// <see cref="ExampleRunner"/>, <see cref="ClassifierEvaluation"/>), in a miniature example built like examples/Classifier
/// (a 4-6-3 MLP on 48 examples; the examples' own models are too large for ILGPU's CPU accelerator in a test):
/// every optimizer trains 2 steps on ilgpu-cpu with the model, batches, targets and evaluation on that device, and the
/// losses equal the CPU backend's to float32 rounding; cuda without a GPU is one <c>error:</c> line and exit code 2.
/// </summary>
public class ExampleDeviceTests
{
    private const int Examples = 48, Classes = 3;

    private sealed record Outcome(int ExitCode, double TrainLoss, double TestAccuracy, Device? ParameterDevice, string Error);

    private static Outcome RunMiniature(params string[] args)
    {
        var command = new ExampleCommand("miniature", new ExampleDefaults { Batch = 16, Sgd = new() { LearningRate = 0.1, Momentum = ExampleDefaults.SgdMomentum }, Kfac = new() { InitialLambda = 1, InverseInterval = 2 } });
        double trainLoss = double.NaN, accuracy = double.NaN;
        Device? device = null;
        command.Root.SetAction(parse =>
        {
            var s = command.Read(parse);
            var rng = new Random(5);
            var x = Tensor.FromDoubles(Enumerable.Range(0, Examples * 4).Select(_ => rng.NextDouble() * 2 - 1).ToArray(), new Shape(Examples, 4), DType.Float32);
            var v = x.ToDoubleArray();
            var labels = Enumerable.Range(0, Examples).Select(i => v[i * 4] > 0.3 ? 2 : v[i * 4 + 1] > 0 ? 1 : 0).ToArray();
            var data = new LabeledData(x, labels, Classes);
            var model = Mlp.Create([4, 6, Classes], Activation.Tanh, seed: s.Seed, device: s.ComputeDevice);
            var loss = new SoftmaxCrossEntropy();
            var step = Optimizers.Create(s, model, loss);
            using var loader = new DataLoader(data, s.BatchSize, shuffle: true, seed: s.Seed, device: s.ComputeDevice);
            var summary = ExampleRunner.Run(s, model, step, loader, b => SoftmaxOps.OneHot(b.Labels!, Classes, device: s.ComputeDevice),
                () => ClassifierEvaluation.Evaluate(model, loss, data));
            trainLoss = summary.LastTrainLoss;
            accuracy = summary.LastEvaluation!["test_accuracy"];
            device = model.Parameters()[0].Device;
            return 0;
        });
        var oldError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            int code = ExampleMain.Invoke(command.Root, args);
            return new Outcome(code, trainLoss, accuracy, device, error.ToString());
        }
        finally
        {
            Console.SetError(oldError);
        }
    }

    [TestCase("sgd")]
    [TestCase("momentum")]
    [TestCase("nesterov")]
    [TestCase("adam")]
    [TestCase("kfac")]
    [TestCase("kfac", "--structure", "BlockTridiagonal")]
    [TestCase("kfac", "--estimation", "Exact", "--gamma-rule", "Search")]
    [TestCase("kfac", "--step-size", "KlClipping", "--stats-fraction", "0.5")]
    public void TwoStepsOnIlgpuCpuMatchTheCpu(string optimizer, params string[] options)
    {
        string[] common = ["--optimizer", optimizer, "--steps", "2", "--log-every", "1000", .. options];
        var cpu = RunMiniature(common);
        var gpu = RunMiniature([.. common, "--device", "ilgpu-cpu"]);
        Assert.That(cpu.ExitCode, Is.EqualTo(0), cpu.Error);
        Assert.That(gpu.ExitCode, Is.EqualTo(0), gpu.Error);
        Assert.That(gpu.ParameterDevice, Is.SameAs(Device.IlgpuCpu()), "the model lives on the ILGPU device");
        Assert.That(cpu.ParameterDevice, Is.SameAs(Device.Cpu));
        Assert.That(double.IsFinite(gpu.TrainLoss), $"{optimizer}: a finite training loss on ilgpu-cpu");
        Assert.That(gpu.TrainLoss, Is.EqualTo(cpu.TrainLoss).Within(1e-4 * cpu.TrainLoss), $"{optimizer}: mean loss of the 2 steps");
        Assert.That(gpu.TestAccuracy, Is.EqualTo(cpu.TestAccuracy), $"{optimizer}: evaluation on the device");
    }

    /// <summary>Where a CUDA GPU exists (ignored elsewhere): the same 2 steps on cuda equal the CPU's.</summary>
    [TestCase("adam")]
    [TestCase("kfac")]
    public void TwoStepsOnCudaMatchTheCpu(string optimizer)
    {
        if (GpuDevices.CudaDeviceCount == 0) Assert.Ignore("no CUDA GPU on this machine");
        string[] common = ["--optimizer", optimizer, "--steps", "2", "--log-every", "1000"];
        var cpu = RunMiniature(common);
        var gpu = RunMiniature([.. common, "--device", "cuda"]);
        Assert.That(gpu.ExitCode, Is.EqualTo(0), gpu.Error);
        Assert.That(gpu.ParameterDevice, Is.SameAs(Device.Cuda()));
        Assert.That(gpu.TrainLoss, Is.EqualTo(cpu.TrainLoss).Within(1e-4 * cpu.TrainLoss), $"{optimizer}: mean loss of the 2 steps");
    }

    [Test]
    public void ACheckpointWrittenOnIlgpuCpuResumes()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"kfac-device-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string checkpoint = Path.Combine(dir, "run.safetensors");
            foreach (var optimizer in new[] { "adam", "kfac" })
            {
                var first = RunMiniature("--optimizer", optimizer, "--steps", "2", "--device", "ilgpu-cpu", "--checkpoint", checkpoint);
                Assert.That(first.ExitCode, Is.EqualTo(0), first.Error);
                var resumed = RunMiniature("--optimizer", optimizer, "--steps", "3", "--device", "ilgpu-cpu", "--resume", checkpoint);
                Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
                Assert.That(double.IsFinite(resumed.TrainLoss), $"{optimizer}: the resumed step trained");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void CudaWithoutAGpuIsOneErrorLineNamingWhatWasLookedFor()
    {
        if (GpuDevices.CudaDeviceCount > 0) Assert.Ignore("a CUDA device is present: nothing to refuse");
        var o = RunMiniature("--device", "cuda", "--steps", "2");
        Assert.That(o.ExitCode, Is.EqualTo(ExampleMain.UserErrorExitCode));
        Assert.That(o.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), o.Error);
        Assert.That(o.Error, Does.StartWith("error: --device cuda: ").And.Contain("no CUDA GPU").And.Contain("ilgpu-cpu"));
        Assert.That(double.IsNaN(o.TrainLoss), "nothing trained");
    }

    [Test]
    public void ADeviceIndexThatDoesNotExistIsAUsageError()
    {
        var o = RunMiniature("--device", "ilgpu-cpu:7", "--steps", "2");
        Assert.That(o.ExitCode, Is.EqualTo(ExampleMain.UserErrorExitCode));
        Assert.That(o.Error, Does.StartWith("error: --device ilgpu-cpu:7: "));
    }

    [Test]
    public void DistributedTrainingOnAGpuDeviceIsRefused()
    {
        var o = RunMiniature("--device", "ilgpu-cpu", "--distributed", "mpi", "--steps", "2");
        Assert.That(o.ExitCode, Is.EqualTo(ExampleMain.UserErrorExitCode));
        Assert.That(o.Error, Does.Contain("--distributed mpi trains on the CPU only"));
    }
}
