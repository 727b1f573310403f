namespace Kfac.Tensors;

/// <summary>The kind of hardware (or emulator) a <see cref="Device"/> computes on.</summary>
public enum DeviceKind
{
    /// <summary>The host CPU, with the built-in CPU backend.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA accelerator (needs Kfac.Gpu).</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator: runs GPU kernels on the CPU, for correctness tests.</summary>
    IlgpuCpu,
}

/// <summary>
/// Where tensors live and which backend computes on them. <see cref="Cpu"/> is always present;
/// GPU devices come from Kfac.Gpu, which registers a provider with <see cref="RegisterProvider(DeviceKind, Func{Device, IBackend})"/>
/// (Kfac.Core knows nothing of ILGPU).
/// </summary>
public sealed class Device
{
    private static readonly Dictionary<DeviceKind, Func<Device, IBackend>> Providers = [];
    private static readonly Dictionary<(DeviceKind, int), Device> Opened = [];
    private static readonly Lock Gate = new();
    private IBackend? _backend;

    private Device(DeviceKind kind, int index)
    {
        Kind = kind;
        Index = index;
    }

    /// <summary>The host CPU device (always present, index 0).</summary>
    public static Device Cpu { get; } = CreateCpu();

    /// <summary>Which kind of hardware this device is.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The device's ordinal among devices of its <see cref="Kind"/> (0 for the CPU).</summary>
    public int Index { get; }

    /// <summary>The backend that computes on this device; throws <see cref="InvalidOperationException"/> if none is registered.</summary>
    public IBackend Backend => _backend ?? throw new InvalidOperationException($"device {this} has no backend");

    /// <summary>The i-th CUDA device. Throws <see cref="DeviceUnavailableException"/> when Kfac.Gpu is not
    /// referenced or no CUDA device is present.</summary>
    public static Device Cuda(int index = 0) => Open(DeviceKind.Cuda, index);

    /// <summary>ILGPU's CPU accelerator (kernels run on the CPU, slowly; for tests).</summary>
    public static Device IlgpuCpu(int index = 0) => Open(DeviceKind.IlgpuCpu, index);

    /// <summary>Parses "cpu", "cuda", "cuda:1", "ilgpu-cpu" (the examples' --device option).</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(':', 2);
        int index = parts.Length == 2 && int.TryParse(parts[1], out int i) ? i : 0;
        return parts[0].ToLowerInvariant() switch
        {
            "cpu" => Cpu,
            "cuda" or "gpu" => Cuda(index),
            "ilgpu-cpu" => IlgpuCpu(index),
            _ => throw new ArgumentException($"unknown device '{text}' (expected cpu, cuda, cuda:N or ilgpu-cpu)", nameof(text)),
        };
    }

    /// <summary>Called by a backend assembly (Kfac.Gpu) to make its devices available.</summary>
    public static void RegisterProvider(DeviceKind kind, Func<int, IBackend> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        RegisterProvider(kind, (Device d) => create(d.Index));
    }

    /// <summary>Like <see cref="RegisterProvider(DeviceKind, Func{int, IBackend})"/>, but the factory receives the
    /// <see cref="Device"/> being opened, so the backend can report it as its <see cref="IBackend.Device"/> (and its
    /// storages as theirs) from construction on.</summary>
    public static void RegisterProvider(DeviceKind kind, Func<Device, IBackend> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (Gate) Providers[kind] = create;
    }

    private static Device Open(DeviceKind kind, int index)
    {
        lock (Gate)
        {
            if (Opened.TryGetValue((kind, index), out var d)) return d;
            if (!Providers.TryGetValue(kind, out var create))
                throw new DeviceUnavailableException(
                    $"device {kind.ToString().ToLowerInvariant()}:{index} was requested but no backend provides it; " +
                    "reference Kfac.Gpu and call Kfac.Gpu.GpuDevices.Register() first");
            var device = new Device(kind, index);
            device._backend = create(device);
            Opened[(kind, index)] = device;
            return device;
        }
    }

    private static Device CreateCpu()
    {
        var d = new Device(DeviceKind.Cpu, 0);
        d._backend = new Cpu.CpuBackend(d);
        return d;
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"ilgpu-cpu:{Index}",
    };
}

/// <summary>A device was asked for that this process cannot provide (no CUDA GPU, backend not loaded).</summary>
public sealed class DeviceUnavailableException(string message) : InvalidOperationException(message);
