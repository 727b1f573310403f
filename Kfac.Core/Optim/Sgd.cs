using Kfac.Tensors;

namespace Kfac.Optim;

/// <summary>SGD with optional (Nesterov) momentum and L2 weight decay; PyTorch's torch.optim.SGD.
/// Chain: AddWeightDecay -> Momentum.</summary>
public sealed class Sgd : Optimizer<SgdOptions>
{
    public Sgd(IEnumerable<Tensor> parameters, SgdOptions options)
        : this(options, new ParameterGroupSpec<SgdOptions>(parameters)) { }

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

/// <summary>RMSProp (plain or centered, with optional momentum); PyTorch's torch.optim.RMSprop.
/// Chain: AddWeightDecay -> ScaleByRms -> Momentum.</summary>
public sealed class RmsProp : Optimizer<RmsPropOptions>
{
    public RmsProp(IEnumerable<Tensor> parameters, RmsPropOptions options)
        : this(options, new ParameterGroupSpec<RmsPropOptions>(parameters)) { }

    public RmsProp(RmsPropOptions defaults, params IEnumerable<ParameterGroupSpec<RmsPropOptions>> groups)
        : base(defaults, groups, Chain) { }

    public static IGradientTransform[] Chain(RmsPropOptions o)
    {
        var links = new List<IGradientTransform>(3);
        if (o.WeightDecay != 0) links.Add(new AddWeightDecay(o.WeightDecay));
        links.Add(new ScaleByRms(o.Alpha, o.Epsilon, o.Centered));
        if (o.Momentum != 0) links.Add(new Momentum(o.Momentum));
        return [.. links];
    }
}

/// <summary>
/// An optimizer assembled from links: the way to combine a custom preconditioner with momentum, weight
/// decay and schedules. The factory is called once per group, so each group gets its own link instances.
/// <code>
/// var opt = new ChainOptimizer(model.Parameters(), new OptimizerOptions { LearningRate = 0.1 },
///     _ => [new AddWeightDecay(1e-4), myPreconditioner, new Momentum(0.9)]);
/// </code>
/// </summary>
public sealed class ChainOptimizer : Optimizer<OptimizerOptions>
{
    public ChainOptimizer(IEnumerable<Tensor> parameters, OptimizerOptions options, Func<OptimizerOptions, IGradientTransform[]> chain)
        : this(options, chain, new ParameterGroupSpec<OptimizerOptions>(parameters)) { }

    public ChainOptimizer(OptimizerOptions defaults, Func<OptimizerOptions, IGradientTransform[]> chain, params IEnumerable<ParameterGroupSpec<OptimizerOptions>> groups)
        : base(defaults, groups, chain) { }
}
