using Kfac.Optim;

namespace Kfac.Training;

/// <summary>The name a first-order optimizer is logged under, derived from the optimizer itself (so the log
/// cannot disagree with what ran): "sgd", "momentum" (SGD with momentum), "nesterov", "adam", "rmsprop", or the
/// lower-cased type name for any other optimizer.</summary>
public static class OptimizerNames
{
    /// <summary>The name of <paramref name="optimizer"/> (group 0's options decide SGD's variant).</summary>
    public static string Of(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer switch
        {
            Sgd { Defaults: { Nesterov: true } } => "nesterov",
            Sgd { Defaults.Momentum: > 0 } => "momentum",
            Sgd => "sgd",
            Adam => "adam",
            RmsProp => "rmsprop",
            _ => optimizer.GetType().Name.ToLowerInvariant(),
        };
    }
}
