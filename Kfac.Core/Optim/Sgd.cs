using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>SGD with optional (Nesterov) momentum and L2 weight decay; PyTorch's torch.optim.SGD.
/// Chain: AddWeightDecay -> Momentum.</summary>
public sealed class Sgd : Optimizer<SgdOptions>
{
    /// <summary>SGD over one group of <paramref name="parameters"/> with <paramref name="options"/>.</summary>
    public Sgd(IEnumerable<Tensor> parameters, SgdOptions options)
        : this(options, new ParameterGroupSpec<SgdOptions>(parameters)) { }

    /// <summary>SGD over parameter groups; each group's options start from <paramref name="defaults"/>.</summary>
    public Sgd(SgdOptions defaults, params IEnumerable<ParameterGroupSpec<SgdOptions>> groups)
        : base(defaults, groups, Chain) { }

    /// <summary>The links an <see cref="SgdOptions"/> stands for.</summary>
    public static IGradientTransform[] Chain(SgdOptions o)
    {
        var links = new List<IGradientTransform>(2);
        if (o.WeightDecay != 0) links.Add(new AddWeightDecay(o.WeightDecay));
        if (o.Momentum != 0) links.Add(new Momentum(o.Momentum, o.Dampening, o.Nesterov));
        return [.. links];
    }
}
