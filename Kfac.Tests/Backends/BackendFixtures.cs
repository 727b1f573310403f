using Kfac.Gpu;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Backends;

/// <summary>The contract on the CPU backend (the reference implementation).</summary>
[TestFixture]
public sealed class CpuBackendContractTests : BackendContractTests
{
    protected override Device Device => Device.Cpu;
}

/// <summary>The contract on the ILGPU backend over ILGPU's CPU accelerator: the GPU kernels themselves, run on CPU
/// threads (64-thread groups, 32 x 32 GEMM tiles; see LaunchPolicy). Always runs.</summary>
[TestFixture]
public sealed class IlgpuCpuBackendContractTests : BackendContractTests
{
    [OneTimeSetUp]
    public void Register() => GpuDevices.Register();

    protected override Device Device => Device.IlgpuCpu();
}

/// <summary>The contract on a CUDA GPU; ignored (with the reason) when there is none.</summary>
[TestFixture]
public sealed class CudaBackendContractTests : BackendContractTests
{
    [OneTimeSetUp]
    public void RequireCuda()
    {
        GpuDevices.Register();
        if (GpuDevices.CudaDeviceCount == 0)
            Assert.Ignore("no CUDA device on this machine (ILGPU found none): the CUDA backend contract tests were not run");
    }

    protected override Device Device => Device.Cuda();
}

/// <summary>The whole contract on ILGPU's CPU accelerator launched exactly as on CUDA (256-thread groups, 16 x 16
/// GEMM groups with 64 x 64 tiles). Explicit: it takes ~2 minutes on a loaded two-core machine, because every
/// barrier wakes 256 OS threads; CI runs the launch-shape-sensitive subset in Kfac.Tests.Gpu.CudaLaunchShapeTests.</summary>
[TestFixture]
[Explicit("about 2 minutes on the CPU accelerator; the CI subset is CudaLaunchShapeTests")]
public sealed class IlgpuCpuCudaShapeBackendContractTests : BackendContractTests
{
    [OneTimeSetUp]
    public void Register() => GpuDevices.Register();

    protected override Device Device => Device.IlgpuCpu(1);
}
