using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>RMSProp (plain or centered, with optional momentum); PyTorch's torch.optim.RMSprop.
/// Chain: AddWeightDecay -> ScaleByRms -> Momentum.</summary>
public sealed class RmsProp : Optimizer<RmsPropOptions>
{
    /// <summary>RMSProp over one group of <paramref name="parameters"/> with <paramref name="options"/>.</summary>
    public RmsProp(IEnumerable<Tensor> parameters, RmsPropOptions options)
        : this(options, new ParameterGroupSpec<RmsPropOptions>(parameters)) { }

    /// <summary>RMSProp over parameter groups; each group's options start from <paramref name="defaults"/>.</summary>
    public RmsProp(RmsPropOptions defaults, params IEnumerable<ParameterGroupSpec<RmsPropOptions>> groups)
        : base(defaults, groups, Chain) { }

    /// <summary>The chain for <paramref name="o"/>: AddWeightDecay (if any) -> ScaleByRms -> Momentum (if any).</summary>
    public static IGradientTransform[] Chain(RmsPropOptions o)
    {
        var links = new List<IGradientTransform>(3);
        if (o.WeightDecay != 0) links.Add(new AddWeightDecay(o.WeightDecay));
        links.Add(new ScaleByRms(o.Alpha, o.Epsilon, o.Centered));
        if (o.Momentum != 0) links.Add(new Momentum(o.Momentum));
        return [.. links];
    }
}
