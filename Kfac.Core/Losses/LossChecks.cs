using Kfac.Tensors;

namespace Kfac.Losses;

internal static class LossChecks
{
    public static void OutputAndTarget(string loss, Tensor output, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        Output(loss, output);
        if (target.Shape != output.Shape)
            throw new ShapeMismatchException(loss, nameof(target), output.Shape, target.Shape, "targets have the output's shape (one-hot rows for classification)");
        if (target.DType != output.DType)
            throw new ArgumentException($"{loss}: target is {target.DType} but output is {output.DType}", nameof(target));
    }

    public static void Output(string loss, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Rank != 2)
            throw new ShapeMismatchException($"{loss}: output must be [batch, outputs], got shape {output.Shape}", nameof(output));
    }

    public static void SameShape(string loss, Tensor output, Tensor v, string name)
    {
        if (v.Shape != output.Shape) throw new ShapeMismatchException(loss, name, output.Shape, v.Shape);
    }
}
