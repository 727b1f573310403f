using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>Adam / AdamW; PyTorch's torch.optim.Adam (L2) and torch.optim.AdamW (decoupled).
/// Chain: AddWeightDecay -> ScaleByAdam, or ScaleByAdam -> AddWeightDecay when decoupled.</summary>
public sealed class Adam : Optimizer<AdamOptions>
{
    public Adam(IEnumerable<Tensor> parameters, AdamOptions options)
        : this(options, new ParameterGroupSpec<AdamOptions>(parameters)) { }

    public Adam(AdamOptions defaults, params IEnumerable<ParameterGroupSpec<AdamOptions>> groups)
        : base(defaults, groups, Chain) { }

    public static IGradientTransform[] Chain(AdamOptions o)
    {
        var adam = new ScaleByAdam(o.Beta1, o.Beta2, o.Epsilon);
        if (o.WeightDecay == 0) return [adam];
        var decay = new AddWeightDecay(o.WeightDecay);
        return o.DecoupledWeightDecay ? [adam, decay] : [decay, adam];
    }
}
