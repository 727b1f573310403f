using Kfac.Gpu;
using Kfac.Gpu.Runtime;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Gpu;

public class GpuDevicesTests
{
    [OneTimeSetUp]
    public void Register() => GpuDevices.Register();

    [Test]
    public void CudaWithoutAGpuThrowsDeviceUnavailableSayingSo()
    {
        if (GpuDevices.CudaDeviceCount > 0)
        {
            Assert.That(Device.Cuda().Backend, Is.InstanceOf<IlgpuBackend>());
            Assert.Ignore("a CUDA device is present: nothing to refuse");
        }
        var e = Assert.Throws<DeviceUnavailableException>(() => Device.Cuda());
        Assert.That(e!.Message, Does.Contain("no CUDA GPU"));
        Assert.That(() => Device.Parse("cuda:0"), Throws.TypeOf<DeviceUnavailableException>());
    }

    [Test]
    public void IlgpuCpuTensorsLiveInPooledDeviceStorage()
    {
        var device = Device.Parse("ilgpu-cpu");
        Assert.That(device, Is.SameAs(Device.IlgpuCpu()));
        var backend = (IlgpuBackend)device.Backend;
        Assert.That(backend.Device, Is.SameAs(device));
        var t = Tensor.Zeros(new Shape(40_009), DType.Float32, device); // a size no other test uses
        Assert.That(t.Storage, Is.InstanceOf<GpuStorage>());
        Assert.That(t.Device, Is.SameAs(device));
        long before = backend.Pool.DeviceAllocations;
        t.Dispose();
        // Buckets are byte sizes rounded to 256: a double buffer of half as many elements reuses the float buffer...
        using var wide = Tensor.Zeros(new Shape(20_004), DType.Float64, device);
        Assert.That(backend.Pool.DeviceAllocations, Is.EqualTo(before), "served from the pool");
        // ...and with that buffer in use, the same float size needs new memory.
        using var again = Tensor.Zeros(new Shape(40_009), DType.Float32, device);
        Assert.That(backend.Pool.DeviceAllocations, Is.EqualTo(before + 1));
        Assert.That(wide.ToDoubleArray(), Is.All.EqualTo(0));
    }

    [Test]
    public void AnOperandFromAnotherDeviceIsNamed()
    {
        var device = Device.IlgpuCpu();
        var x = Tensor.Ones(new Shape(4), DType.Float32, device);
        var cpu = Tensor.Ones(new Shape(4));
        var e = Assert.Throws<ArgumentException>(() => device.Backend.Axpby(1, cpu, 1, x));
        Assert.That(e!.Message, Does.Contain("'x'").And.Contain("cpu"));
    }

    [Test]
    public void DisposingStorageFreesTheDeviceBuffer()
    {
        var device = Device.IlgpuCpu();
        var storage = (GpuStorage)device.Backend.Allocate(DType.Float64, 10);
        Assert.That(storage.CapacityInBytes, Is.EqualTo(256), "80 bytes rounded up to the pool's granularity");
        storage.Dispose();
        Assert.That(() => storage.CapacityInBytes, Throws.TypeOf<ObjectDisposedException>());
    }
}
