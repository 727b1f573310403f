using Kfac.Gpu;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Ops;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using Kfac.Training;
using NUnit.Framework;

namespace Kfac.Tests.Gpu;

/// <summary>
/// End to end on the ILGPU backend with convolutions: a tiny conv net (conv 3x3 padding 1 - relu - maxpool 2 -
/// conv 2x2 - relu - overlapping maxpool 2 stride 1 - dense, softmax cross-entropy, 6 x 6 images in four classes)
/// trained for a few SGD and K-FAC (KFC blocks for the convolutions) steps on ILGPU's CPU accelerator and on the
/// CPU backend from the same weights and data. The convolution kernels equal the CPU backend's bit for bit
/// (ConvKernelAgreementTests); the GEMMs sum in another order, so the losses agree to float32 rounding carried
/// through the updates.
/// </summary>
public class GpuConvTrainingTests
{
    private const int Steps = 4, Batch = 16, Side = 6;

    /// <summary>Relative agreement of the per-step losses (float32; K-FAC adds inverses and a quadratic model).</summary>
    private const double LossTolerance = 1e-4;

    [OneTimeSetUp]
    public void Register() => GpuDevices.Register();

    private static Sequential Net(Device device) => new(
        new Conv2d(1, 4, 3, padding: 1, rng: new System.Random(21), device: device), new Relu(),
        new MaxPool2d(2),
        new Conv2d(4, 4, 2, rng: new System.Random(22), device: device), new Relu(),
        new MaxPool2d(2, stride: 1),
        new Flatten(),
        new Dense(4, 4, rng: new System.Random(23), device: device));

    /// <summary>Which quadrant of a 6x6 image holds a bright 2x2 blob, plus noise.</summary>
    private static (double[] Images, int[] Labels) Quadrants()
    {
        var rng = new System.Random(5);
        const int pixels = Side * Side;
        var x = new double[Batch * pixels];
        var labels = new int[Batch];
        for (int i = 0; i < Batch; i++)
        {
            int k = labels[i] = rng.Next(4);
            int top = (k / 2) * 3 + rng.Next(2), left = (k % 2) * 3 + rng.Next(2);
            for (int p = 0; p < pixels; p++) x[i * pixels + p] = 0.2 * (rng.NextDouble() - 0.5);
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++) x[i * pixels + (top + r) * Side + left + c] += 1;
        }
        return (x, labels);
    }

    private static (double[] Losses, long[] Allocations) Train(Device device, string optimizer)
    {
        var net = Net(device);
        var (images, labels) = Quadrants();
        var x = Tensor.FromDoubles(images, new Shape(Batch, 1, Side, Side), DType.Float32, device);
        var t = SoftmaxOps.OneHot(labels, 4, DType.Float32, device);
        var loss = new SoftmaxCrossEntropy();
        ITrainingStep step = optimizer == "sgd"
            ? new FirstOrderStep(net, loss, new Sgd(net.Parameters(), new SgdOptions { LearningRate = 0.1 }), "sgd")
            : new KfacStep(net, new KfacOptimizer(net.Parameters(), loss, new KfacOptions { InitialLambda = 1, InverseInterval = 2 }));
        var losses = new double[Steps];
        var allocations = new long[Steps];
        for (int s = 0; s < Steps; s++)
        {
            using (TensorScope.Begin()) losses[s] = step.Step(x, t);
            Assert.That(double.IsFinite(losses[s]), $"{device} {optimizer} step {s + 1} was skipped or rejected");
            allocations[s] = device.Backend is IlgpuBackend b ? b.Pool.DeviceAllocations : 0;
        }
        return (losses, allocations);
    }

    [TestCase("sgd")]
    [TestCase("kfac")]
    public void ConvNetOnIlgpuMatchesTheCpuBackend(string optimizer)
    {
        var (cpu, _) = Train(Device.Cpu, optimizer);
        var (gpu, allocations) = Train(Device.IlgpuCpu(), optimizer);
        TestContext.Out.WriteLine($"{optimizer} cpu losses {string.Join(", ", cpu.Select(l => l.ToString("R")))}");
        TestContext.Out.WriteLine($"{optimizer} gpu losses {string.Join(", ", gpu.Select(l => l.ToString("R")))}");
        TestContext.Out.WriteLine($"device allocations after each step {string.Join(", ", allocations)}");
        for (int s = 0; s < Steps; s++)
            Assert.That(gpu[s], Is.EqualTo(cpu[s]).Within(LossTolerance * cpu[s]), $"loss of step {s + 1}");
        Assert.That(gpu[^1], Is.LessThan(gpu[0]), "training reduces the loss");
        Assert.That(allocations[3], Is.EqualTo(allocations[1]), "device allocations after the second step (the pool serves every buffer)");
    }
}
