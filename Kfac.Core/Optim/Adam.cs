using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>Adam / AdamW; PyTorch's torch.optim.Adam (L2) and torch.optim.AdamW (decoupled).
/// Chain: AddWeightDecay -> ScaleByAdam, or ScaleByAdam -> AddWeightDecay when decoupled.</summary>
public sealed class Adam : Optimizer<AdamOptions>
{
    /// <summary>Adam over one group of <paramref name="parameters"/> with <paramref name="options"/>.</summary>
    public Adam(IEnumerable<Tensor> parameters, AdamOptions options)
        : this(options, new ParameterGroupSpec<AdamOptions>(parameters)) { }

    /// <summary>Adam over parameter groups; each group's options start from <paramref name="defaults"/> and apply its overrides.</summary>
    public Adam(AdamOptions defaults, params IEnumerable<ParameterGroupSpec<AdamOptions>> groups)
        : base(defaults, groups, Chain) { }

    /// <summary>The chain for <paramref name="o"/>: [ScaleByAdam], [AddWeightDecay, ScaleByAdam] (L2) or [ScaleByAdam, AddWeightDecay] (AdamW).</summary>
    public static IGradientTransform[] Chain(AdamOptions o)
    {
        var adam = new ScaleByAdam(o.Beta1, o.Beta2, o.Epsilon);
        if (o.WeightDecay == 0) return [adam];
        var decay = new AddWeightDecay(o.WeightDecay);
        return o.DecoupledWeightDecay ? [adam, decay] : [decay, adam];
    }
}
