using Kfac.Gpu;
using Kfac.Tensors;

namespace Kfac.Examples;

/// <summary>
/// --device: "cpu" (the default; the CPU backend), "cuda" / "cuda:N" (the N-th CUDA GPU through the ILGPU backend,
/// Kfac.Gpu) or "ilgpu-cpu" (ILGPU's CPU accelerator: the GPU kernels on CPU threads, slow, for testing the GPU
/// path without a GPU). A device that cannot be opened (no CUDA GPU or driver) is a usage error whose one line says
/// what was looked for.
/// </summary>
public static class ExampleDevices
{
    /// <summary>The values --device accepts (":N" selects the device index).</summary>
    public const string Accepted = "cpu, cuda, cuda:N or ilgpu-cpu";

    /// <summary>Opens the device named by <paramref name="text"/> (the --device value).</summary>
    public static Device Open(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "cpu") return Device.Cpu;
        GpuDevices.Register();
        try
        {
            return Device.Parse(text);
        }
        catch (DeviceUnavailableException e)
        {
            throw new UsageException($"--device {text}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>The device <paramref name="model"/>'s parameters live on (evaluations put their batches there).</summary>
    public static Device Of(Kfac.Layers.Module model) => model.Parameters() is [var first, ..] ? first.Device : Device.Cpu;
}
