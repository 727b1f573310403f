namespace Kfac.Plot;

/// <summary>What <see cref="TrainingCurves"/> draws. The defaults draw every known metric the logs have against
/// steps and against seconds, and K-FAC's lambda, gamma, alpha and mu when a run logged them.</summary>
public sealed record PlotOptions
{
    /// <summary>Metrics to draw, one row of panels each; null: every metric of
    /// <see cref="TrainingCurves.KnownMetrics"/> that some run has (or, if none, every other numeric key).</summary>
    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>The log key counted as "steps" on the x axis: "step" (optimizer steps, the examples' logs) or another
    /// counter such as "env_steps" (the reinforcement-learning logs).</summary>
    public string StepKey { get; init; } = "step";

    /// <summary>Draw each metric against the step count.</summary>
    public bool VersusSteps { get; init; } = true;

    /// <summary>Draw each metric against training seconds.</summary>
    public bool VersusSeconds { get; init; } = true;

    /// <summary>Panels of K-FAC's lambda, gamma, alpha and mu against steps; null: when some run logged lambda.</summary>
    public bool? KfacPanels { get; init; }

    /// <summary>Logarithmic y axis for the metrics; null: for losses and errors whose values are all positive.</summary>
    public bool? LogScale { get; init; }

    /// <summary>Size of one panel in pixels.</summary>
    public int PanelWidth { get; init; } = 560;

    /// <summary>Size of one panel in pixels.</summary>
    public int PanelHeight { get; init; } = 340;

    /// <summary>Prefix of the first panel's title (e.g. the experiment).</summary>
    public string? Title { get; init; }
}
