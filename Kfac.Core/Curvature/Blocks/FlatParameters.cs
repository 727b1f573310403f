using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>Packs a list of tensors into one flat vector (each row-major, in order) and back: the parameter
/// vector of the dense per-parameter blocks, in <see cref="ExactCurvature"/>'s order.</summary>
internal static class FlatParameters
{
    public static void Pack(IReadOnlyList<Tensor> parts, Tensor flat)
    {
        int offset = 0;
        foreach (var p in parts)
        {
            flat.Backend.CopyBlock(p, 0, p.Numel, flat, offset, p.Numel, 1, p.Numel);
            offset += p.Numel;
        }
    }

    public static void Unpack(Tensor flat, IReadOnlyList<Tensor> parts)
    {
        int offset = 0;
        foreach (var p in parts)
        {
            flat.Backend.CopyBlock(flat, offset, p.Numel, p, 0, p.Numel, 1, p.Numel);
            offset += p.Numel;
        }
    }
}
