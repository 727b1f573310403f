using Kfac.Optim;
using Kfac.Optim.Kfac;

namespace Kfac.Training;

/// <summary>
/// Which optimizer <see cref="TrainingSteps.Create"/> builds (<see cref="Name"/>, one of <see cref="OptimizerNames.Known"/>)
/// and the options of every optimizer it could build. Only the named optimizer's record is used; keeping all of
/// them lets a command line hold one choice whose defaults are the options records' own (one source of defaults)
/// and switch optimizers by name. The SGD variants share <see cref="Sgd"/>: "sgd" runs it without momentum,
/// "momentum" with <see cref="SgdOptions.Momentum"/> (which must then be &gt; 0), "nesterov" with Nesterov's look-ahead.
/// </summary>
public sealed record OptimizerChoice
{
    /// <summary>The optimizer to build: "sgd", "momentum", "nesterov", "adam", "rmsprop" or "kfac" (case-insensitive).</summary>
    public string Name { get; init; } = OptimizerNames.Kfac;

    /// <summary>Options of "sgd", "momentum" and "nesterov".</summary>
    public SgdOptions Sgd { get; init; } = new();

    /// <summary>Options of "adam".</summary>
    public AdamOptions Adam { get; init; } = new();

    /// <summary>Options of "rmsprop".</summary>
    public RmsPropOptions RmsProp { get; init; } = new();

    /// <summary>Options of "kfac".</summary>
    public KfacOptions Kfac { get; init; } = new();

    /// <summary>The options record the named optimizer is built with, after the variant's fixed settings
    /// ("sgd": Momentum 0, Nesterov off; "nesterov": Nesterov on): exactly what <see cref="TrainingSteps.Create"/> passes on.</summary>
    public object EffectiveOptions() => NormalizedName() switch
    {
        OptimizerNames.PlainSgd => Sgd with { Momentum = 0, Nesterov = false },
        OptimizerNames.Momentum => Sgd with { Nesterov = false },
        OptimizerNames.Nesterov => Sgd with { Nesterov = true },
        OptimizerNames.Adam => Adam,
        OptimizerNames.RmsProp => RmsProp,
        OptimizerNames.Kfac => Kfac,
        _ => throw UnknownName(),
    };

    /// <summary>Checks the name and the named optimizer's options: <see cref="ArgumentException"/> naming the
    /// optimizer and the field (the options records' own Validate), or the unknown name with the known ones.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Name, nameof(Name));
        string name = NormalizedName();
        if (name == OptimizerNames.Momentum && !(Sgd.Momentum > 0))
            throw new ArgumentOutOfRangeException(nameof(Sgd), Sgd.Momentum,
                $"optimizer 'momentum' needs SgdOptions.Momentum > 0, got {Sgd.Momentum} (use 'sgd' for plain SGD)");
        switch (EffectiveOptions())
        {
            case OptimizerOptions o: o.Validate(); break;
            case KfacOptions k: k.Validate(); break;
        }
    }

    /// <summary><see cref="Name"/> in lower case.</summary>
    internal string NormalizedName() => (Name ?? throw new ArgumentNullException(nameof(Name))).Trim().ToLowerInvariant();

    private ArgumentException UnknownName() =>
        new($"unknown optimizer '{Name}'; known: {string.Join(", ", OptimizerNames.Known)}", nameof(Name));
}
