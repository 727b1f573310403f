using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Kfac.Gpu.Runtime;
using NUnit.Framework;

namespace Kfac.Tests.Gpu;

/// <summary>
/// Compiles every kernel (each float/double instantiation in <see cref="KernelCatalog"/>) with ILGPU's PTX backend
/// for an sm_90 (H100/H200) target, without a GPU, so a kernel that ILGPU cannot compile for CUDA fails here in CI
/// rather than on the GPU machine. The optimisation level is the one the CUDA device uses (O2).
/// <para>ILGPU 1.5.3 writes <c>.target sm_80</c> for every architecture above 8.0 (it needs no sm_90 feature);
/// the driver JIT-compiles that PTX for sm_90.</para>
/// </summary>
public class PtxGenerationTests
{
    private Context? _context;
    private PTXBackend? _backend;

    [OneTimeSetUp]
    public void CreateBackend()
    {
        _context = Context.Create(b => b.CPU().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        _backend = new PTXBackend(_context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null!);
    }

    [OneTimeTearDown]
    public void Dispose()
    {
        _backend?.Dispose();
        _context?.Dispose();
    }

    public static IEnumerable<string> Kernels => KernelCatalog.All.Select(k => k.Name);

    private string Compile(string name)
    {
        var kernel = KernelCatalog.All.Single(k => k.Name == name);
        var compiled = (PTXCompiledKernel)_backend!.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method), KernelSpecialization.Empty);
        return compiled.PTXAssembly;
    }

    [TestCaseSource(nameof(Kernels))]
    public void CompilesToPtxForSm90(string kernel)
    {
        string ptx = Compile(kernel);
        Assert.That(ptx, Does.Contain(".entry"), "a kernel entry point");
        Assert.That(ptx, Does.Match(@"\.target sm_[89]\d"), "an sm_80+ target");
        Assert.That(ptx, Does.Contain(".address_size 64"));
        if (Environment.GetEnvironmentVariable("KFAC_PTX_DUMP") is { } dir) File.WriteAllText(Path.Combine(dir, kernel.Replace('<', '_').Replace('>', '_').Replace(", ", "_") + ".ptx"), ptx);
    }

    [Test]
    public void TheCatalogHoldsEveryKernelFile()
    {
        var files = Directory.GetFiles(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "..", "Kfac.Gpu", "Kernels"), "*Kernel.cs")
            .Select(f => Path.GetFileNameWithoutExtension(f)).Order().ToArray();
        var catalogued = KernelCatalog.All.Select(k => k.Name[..k.Name.IndexOf('<')]).Distinct().Order().ToArray();
        Assert.That(catalogued, Is.EqualTo(files), "one static kernel per file, each found by the catalog");
    }

    /// <summary>The GEMM and SYRK register blocks must stay in registers: local memory (.local) in their PTX means
    /// the 4 x 4 accumulators spilled, which would cost most of the kernel's speed.</summary>
    [TestCase("GemmKernel<Single>")]
    [TestCase("SyrkKernel<Single>")]
    public void RegisterBlockingDoesNotUseLocalMemory(string kernel)
    {
        string ptx = Compile(kernel);
        Assert.That(ptx, Does.Not.Contain(".local"), "accumulators spilled to local memory");
        Assert.That(ptx, Does.Contain(".shared"), "tiles staged in shared memory");
    }
}
