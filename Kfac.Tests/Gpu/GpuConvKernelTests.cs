using Kfac.Gpu;
using Kfac.Tensors;
using Kfac.Tests.Conv;
using NUnit.Framework;

namespace Kfac.Tests.Gpu;

/// <summary>The convolution contract (<see cref="ConvKernelContract"/>) on the ILGPU backend over ILGPU's CPU
/// accelerator (64-thread groups). Always runs; the shapes are small.</summary>
[TestFixture]
public sealed class IlgpuCpuConvKernelTests : ConvKernelContract
{
    [OneTimeSetUp]
    public void Register() => GpuDevices.Register();

    protected override Device Device => Device.IlgpuCpu();
}

/// <summary>The convolution contract on a CUDA GPU; ignored (with the reason) when there is none.</summary>
[TestFixture]
public sealed class CudaConvKernelTests : ConvKernelContract
{
    [OneTimeSetUp]
    public void RequireCuda()
    {
        GpuDevices.Register();
        if (GpuDevices.CudaDeviceCount == 0)
            Assert.Ignore("no CUDA device on this machine (ILGPU found none): the CUDA convolution contract tests were not run");
    }

    protected override Device Device => Device.Cuda();
}
