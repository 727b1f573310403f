using System.Reflection;
using Kfac.Gpu.Arithmetic;

namespace Kfac.Gpu.Runtime;

/// <summary>One compiled form of a kernel: the kernel's <c>Run</c> method closed over element types.</summary>
internal sealed record KernelInstance(string Name, MethodInfo Method);

/// <summary>
/// Every kernel instantiation the backend can load, found by reflection (each static class in Kfac.Gpu.Kernels
/// with a static <c>Run</c> method), closed over float and double, and for the mixed-precision kernels over the
/// conversions the SPD inverse uses. The PTX-generation test compiles each of them, so a new kernel file is
/// covered without being listed anywhere.
/// </summary>
internal static class KernelCatalog
{
    private static readonly Type[][] Elements = [[typeof(float)], [typeof(double)]];
    private static readonly Type[][] Reals = [[typeof(float), typeof(Real32)], [typeof(double), typeof(Real64)]];
    private static readonly Type[][] Conversions =
    [
        [typeof(float), typeof(Real32), typeof(float), typeof(Real32)],
        [typeof(double), typeof(Real64), typeof(double), typeof(Real64)],
        [typeof(float), typeof(Real32), typeof(double), typeof(Real64)],
        [typeof(double), typeof(Real64), typeof(float), typeof(Real32)],
    ];

    public static IReadOnlyList<KernelInstance> All { get; } = Find();

    private static List<KernelInstance> Find()
    {
        var result = new List<KernelInstance>();
        var kernels = typeof(KernelCatalog).Assembly.GetTypes()
            .Where(t => t.Namespace == "Kfac.Gpu.Kernels" && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernel", StringComparison.Ordinal))
            .OrderBy(t => t.Name, StringComparer.Ordinal);
        foreach (var type in kernels)
        {
            var run = type.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)
                ?? throw new InvalidOperationException($"kernel class {type.Name} has no public static Run method");
            var instantiations = run.GetGenericArguments().Length switch
            {
                1 => Elements,
                2 => Reals,
                4 => Conversions,
                int n => throw new InvalidOperationException($"kernel {type.Name}.Run has {n} type parameters; KernelCatalog knows 1, 2 or 4"),
            };
            foreach (var args in instantiations)
                result.Add(new KernelInstance($"{type.Name}<{string.Join(", ", args.Select(a => a.Name))}>", run.MakeGenericMethod(args)));
        }
        return result;
    }
}
