using Kfac.Gpu;
using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim.Kfac;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Gpu;

/// <summary>
/// End to end on the ILGPU backend: a tiny autoencoder (16-8-4-8-16, sigmoid, sigmoid cross-entropy) trained with
/// K-FAC (sampled Fisher, quadratic-model step sizes) for a few steps on ILGPU's CPU accelerator and on the CPU
/// backend from the same seed. Both devices see the same weights, data and sampled targets (the samples are drawn
/// on the host from downloaded probabilities), so the losses agree to float32 rounding.
/// </summary>
public class GpuTrainingTests
{
    private const int Steps = 4, Batch = 32;

    /// <summary>Relative agreement of the per-step losses. The first loss only differs by the order of float32
    /// sums; later ones inherit the difference through the K-FAC updates (inverse, quadratic model).</summary>
    private const double LossTolerance = 1e-4;

    [OneTimeSetUp]
    public void Register() => GpuDevices.Register();

    private static Sequential Autoencoder(Device device)
    {
        int[] sizes = [16, 8, 4, 8, 16];
        var net = new Sequential();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            net.Add(new Dense(sizes[i], sizes[i + 1], rng: new System.Random(10 + i), device: device));
            if (i + 2 < sizes.Length) net.Add(new Sigmoid());
        }
        return net;
    }

    /// <summary>Binary patterns with structure (two prototypes with flipped bits) the autoencoder can learn.</summary>
    private static double[] Patterns()
    {
        var rng = new System.Random(3);
        var data = new double[Batch * 16];
        for (int i = 0; i < Batch; i++)
            for (int j = 0; j < 16; j++)
            {
                double prototype = i % 2 == 0 ? (j < 8 ? 1 : 0) : (j % 2);
                data[i * 16 + j] = rng.NextDouble() < 0.1 ? 1 - prototype : prototype;
            }
        return data;
    }

    private static (double[] Losses, long[] Allocations) Train(Device device)
    {
        var net = Autoencoder(device);
        var x = Tensor.FromDoubles(Patterns(), new Shape(Batch, 16), DType.Float32, device);
        var kfac = new KfacOptimizer(net.Parameters(), new SigmoidCrossEntropy(), new KfacOptions { InitialLambda = 1, InverseInterval = 2 });
        var losses = new double[Steps];
        var allocations = new long[Steps];
        for (int s = 0; s < Steps; s++)
        {
            using (TensorScope.Begin())
            {
                var r = kfac.Step(net.Forward, x, x);
                Assert.That(r.Rejected, Is.False, $"{device} step {s + 1}: {r.RejectionReason}");
                losses[s] = r.Loss;
            }
            allocations[s] = device.Backend is IlgpuBackend b ? b.Pool.DeviceAllocations : 0;
        }
        return (losses, allocations);
    }

    [Test]
    public void KfacAutoencoderOnIlgpuMatchesTheCpuBackend()
    {
        var (cpu, _) = Train(Device.Cpu);
        var (gpu, allocations) = Train(Device.IlgpuCpu());
        TestContext.Out.WriteLine($"cpu losses {string.Join(", ", cpu.Select(l => l.ToString("R")))}");
        TestContext.Out.WriteLine($"gpu losses {string.Join(", ", gpu.Select(l => l.ToString("R")))}");
        TestContext.Out.WriteLine($"device allocations after each step {string.Join(", ", allocations)}");
        for (int s = 0; s < Steps; s++)
            Assert.That(gpu[s], Is.EqualTo(cpu[s]).Within(LossTolerance * cpu[s]), $"loss of step {s + 1}");
        Assert.That(gpu[^1], Is.LessThan(gpu[0]), "training reduces the loss");
        // Steps 3 and 4 repeat step 2's work (statistics, inverse refresh every 2 steps, quadratic model): the pool
        // serves every buffer, so no device memory is allocated after the warm-up.
        Assert.That(allocations[3], Is.EqualTo(allocations[1]), "device allocations after the second step");
    }
}
