using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// Works out the <see cref="BroadcastLayout"/> of a binary op. One operand has the full shape; the other
/// either has the same shape or, after padding its shape with leading 1s, matches the full shape on one
/// contiguous block of axes and is 1 elsewhere (row vector, column vector, per-channel vector, scalar).
/// </summary>
internal static class Broadcasting
{
    public static (BroadcastLayout Layout, Shape Result) Resolve(string op, Tensor a, Tensor b)
    {
        if (a.Shape == b.Shape) return (new BroadcastLayout(1, a.Numel, 1, BroadcastSide.None), a.Shape);
        bool bSmall = b.Numel < a.Numel || (b.Numel == a.Numel && b.Rank < a.Rank);
        var full = bSmall ? a.Shape : b.Shape;
        var small = bSmall ? b.Shape : a.Shape;
        var layout = Layout(op, full, small, bSmall ? "b" : "a", bSmall ? "a" : "b");
        return (layout with { Side = bSmall ? BroadcastSide.Right : BroadcastSide.Left }, full);
    }

    /// <summary>The [outer, mid, inner] view of <paramref name="full"/> in which <paramref name="small"/> is the mid block.</summary>
    public static BroadcastLayout Layout(string op, Shape full, Shape small, string smallName = "b", string fullName = "a")
    {
        if (small.Rank > full.Rank)
            throw Fail(op, full, small, smallName, fullName);
        int pad = full.Rank - small.Rank;
        int first = -1, last = -1;
        for (int i = 0; i < small.Rank; i++)
        {
            if (small[i] == 1) continue;
            if (first < 0) first = i + pad;
            last = i + pad;
        }
        if (first < 0) return new BroadcastLayout(full.Numel, 1, 1, BroadcastSide.Right); // all ones: a scalar
        for (int i = 0; i < small.Rank; i++)
        {
            int f = full[i + pad], s = small[i];
            bool inBlock = i + pad >= first && i + pad <= last;
            if (inBlock ? s != f : s != 1) throw Fail(op, full, small, smallName, fullName);
        }
        return new BroadcastLayout(full.Product(0, first), full.Product(first, last + 1), full.Product(last + 1, full.Rank), BroadcastSide.Right);
    }

    private static ShapeMismatchException Fail(string op, Shape full, Shape small, string smallName, string fullName) =>
        new($"{op}: cannot broadcast '{smallName}' of shape {small} against '{fullName}' of shape {full} " +
            "(the smaller operand must match one contiguous block of axes and be 1 elsewhere: a row, a column, a per-channel vector or a scalar)",
            smallName);
}
