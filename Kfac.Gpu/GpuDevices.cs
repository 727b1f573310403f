using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Kfac.Tensors;
using Device = Kfac.Tensors.Device;

namespace Kfac.Gpu;

/// <summary>
/// Makes the ILGPU devices available to <see cref="Device"/>: after <see cref="Register"/>, <c>Device.Cuda(i)</c>
/// opens the i-th CUDA GPU and <c>Device.IlgpuCpu()</c> ILGPU's CPU accelerator (GPU kernels run on CPU threads:
/// slow, for tests; <c>Device.IlgpuCpu(1)</c> uses CUDA's launch shape). Asking for CUDA on a machine without a CUDA GPU or driver throws
/// <see cref="DeviceUnavailableException"/> saying so.
/// </summary>
public static class GpuDevices
{
    private static readonly Lock Gate = new();
    private static Context? _cudaContext, _cpuContext;

    /// <summary>Registers the Cuda and IlgpuCpu device providers (idempotent).</summary>
    public static void Register()
    {
        Device.RegisterProvider(DeviceKind.Cuda, (Device d) => CreateCuda(d));
        Device.RegisterProvider(DeviceKind.IlgpuCpu, (Device d) => CreateCpu(d));
    }

    /// <summary>Number of CUDA devices ILGPU can see (0 without a GPU or driver).</summary>
    public static int CudaDeviceCount
    {
        get
        {
            try
            {
                return CudaContext.GetCudaDevices().Count;
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException or NotSupportedException or AcceleratorException)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// The simulated devices behind <c>Device.IlgpuCpu(0)</c> and <c>Device.IlgpuCpu(1)</c>: one multiprocessor each,
    /// with 64 and 256 threads per group (ILGPU's default CPU device allows 16). The CPU accelerator runs every
    /// thread of its device as an OS thread, so the 64-thread device used by the tests is also the cheaper one.
    /// </summary>
    internal static CPUDevice[] SimulatedDevices { get; } =
    [
        new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 2, numMultiprocessors: 1),
        new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1),
    ];

    private static Context CudaContext
    {
        get
        {
            lock (Gate)
                return _cudaContext ??= Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        }
    }

    internal static Context CpuContext
    {
        get
        {
            lock (Gate)
                return _cpuContext ??= Context.Create(b => b.CPU(SimulatedDevices[0]).CPU(SimulatedDevices[1]).EnableAlgorithms());
        }
    }

    private static IlgpuBackend CreateCuda(Device device)
    {
        int count = CudaDeviceCount;
        if (count == 0)
            throw new DeviceUnavailableException(
                $"device {device} was requested but no CUDA GPU is available (ILGPU found no CUDA device: no NVIDIA GPU or no driver). " +
                "Use --device cpu, or ilgpu-cpu to run the GPU kernels on the CPU.");
        if (device.Index < 0 || device.Index >= count)
            throw new DeviceUnavailableException($"device {device} was requested but only {count} CUDA device(s) exist (cuda:0..cuda:{count - 1})");
        var accelerator = CudaContext.GetCudaDevice(device.Index).CreateAccelerator(CudaContext);
        return new IlgpuBackend(device, accelerator);
    }

    /// <summary>ilgpu-cpu:0 launches 64-thread groups (fast tests); ilgpu-cpu:1 launches exactly as on CUDA
    /// (256-thread groups, 16 x 16 GEMM groups), to test the CUDA launch shape without a GPU (slower).</summary>
    private static IlgpuBackend CreateCpu(Device device)
    {
        int? groupSize = device.Index switch
        {
            0 => null,
            1 => Kernels.KernelLimits.MaxGroupSize,
            _ => throw new DeviceUnavailableException(
                $"device {device} was requested but the ILGPU CPU accelerator is ilgpu-cpu:0 (64-thread groups) or ilgpu-cpu:1 (CUDA launch shape)"),
        };
        var cpu = (CPUDevice)CpuContext.GetCPUDevice(device.Index);
        return new IlgpuBackend(device, cpu.CreateCPUAccelerator(CpuContext), groupSize);
    }
}
