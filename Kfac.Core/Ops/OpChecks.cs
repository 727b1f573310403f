using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>Eager argument checks shared by the ops: every message names the op, the argument and the shapes.</summary>
internal static class OpChecks
{
    public static void NotNull(Tensor? t, string op, string name)
    {
        if (t is null) throw new ArgumentNullException(name, $"{op}: argument '{name}' is null");
    }

    public static void Compatible(string op, Tensor a, string aName, Tensor b, string bName)
    {
        NotNull(a, op, aName);
        NotNull(b, op, bName);
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: '{aName}' is {a.DType} but '{bName}' is {b.DType}; convert one with To(dtype)", bName);
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: '{aName}' is on {a.Device} but '{bName}' is on {b.Device}", bName);
    }

    public static void Rank(string op, Tensor t, string name, int rank)
    {
        if (t.Rank != rank)
            throw new ShapeMismatchException($"{op}: argument '{name}' must have rank {rank}, got shape {t.Shape}", name);
    }

    public static bool Records(Tensor a) => GradMode.IsEnabled && a.RequiresGrad;

    public static bool Records(Tensor a, Tensor b) => GradMode.IsEnabled && (a.RequiresGrad || b.RequiresGrad);
}
