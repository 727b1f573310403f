using Kfac.Tensors;

namespace Kfac.Optim;

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
    /// <summary>An optimizer over one group of <paramref name="parameters"/> whose links come from <paramref name="chain"/>.</summary>
    public ChainOptimizer(IEnumerable<Tensor> parameters, OptimizerOptions options, Func<OptimizerOptions, IGradientTransform[]> chain)
        : this(options, chain, new ParameterGroupSpec<OptimizerOptions>(parameters)) { }

    /// <summary>An optimizer over parameter groups; <paramref name="chain"/> is called once per group with the group's resolved options.</summary>
    public ChainOptimizer(OptimizerOptions defaults, Func<OptimizerOptions, IGradientTransform[]> chain, params IEnumerable<ParameterGroupSpec<OptimizerOptions>> groups)
        : base(defaults, groups, chain) { }
}
