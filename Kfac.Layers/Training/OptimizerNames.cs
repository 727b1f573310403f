using Kfac.Optim;

namespace Kfac.Training;

/// <summary>The optimizers' names: those <see cref="TrainingSteps.Create"/> builds (<see cref="Known"/>), and the
/// name a first-order optimizer is logged under, derived from the optimizer itself (so the log cannot disagree
/// with what ran): "sgd", "momentum" (SGD with momentum), "nesterov", "adam", "rmsprop", or the lower-cased type
/// name for any other optimizer.</summary>
public static class OptimizerNames
{
    /// <summary>Plain stochastic gradient descent.</summary>
    public const string PlainSgd = "sgd";

    /// <summary>SGD with heavy-ball momentum.</summary>
    public const string Momentum = "momentum";

    /// <summary>SGD with Nesterov momentum.</summary>
    public const string Nesterov = "nesterov";

    /// <summary>Adam.</summary>
    public const string Adam = "adam";

    /// <summary>RMSProp.</summary>
    public const string RmsProp = "rmsprop";

    /// <summary>K-FAC (Martens &amp; Grosse 2015).</summary>
    public const string Kfac = "kfac";

    /// <summary>Every name <see cref="TrainingSteps.Create"/> builds a step for.</summary>
    public static IReadOnlyList<string> Known { get; } = [PlainSgd, Momentum, Nesterov, Adam, RmsProp, Kfac];

    /// <summary>The name of <paramref name="optimizer"/> (group 0's options decide SGD's variant).</summary>
    public static string Of(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer switch
        {
            Sgd { Defaults: { Nesterov: true } } => Nesterov,
            Sgd { Defaults.Momentum: > 0 } => Momentum,
            Sgd => PlainSgd,
            global::Kfac.Optim.Adam => Adam,
            global::Kfac.Optim.RmsProp => RmsProp,
            _ => optimizer.GetType().Name.ToLowerInvariant(),
        };
    }
}
