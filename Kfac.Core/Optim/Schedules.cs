namespace Kfac.Optim;

/// <summary>
/// A learning rate as a function of the step. Steps count from 0: <c>At(0)</c> is the rate of the first
/// update, <c>At(k)</c> the rate of the update made after k completed steps (the optimizer evaluates it at
/// <see cref="OptimizerState.Step"/> before counting the step). Schedules return absolute rates.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate of the update made after <paramref name="step"/> completed steps.</summary>
    double At(long step);
}

/// <summary>lr(k) = LearningRate.</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    /// <summary>A constant rate <paramref name="learningRate"/> (finite, &gt;= 0).</summary>
    public ConstantSchedule(double learningRate)
    {
        OptionCheck.NonNegative(nameof(ConstantSchedule), learningRate, nameof(learningRate));
        LearningRate = learningRate;
    }

    /// <summary>The rate returned for every step.</summary>
    public double LearningRate { get; }

    /// <inheritdoc/>
    public double At(long step) => LearningRate;
}

/// <summary>lr(k) = Initial * Gamma^floor(k / StepSize) (PyTorch's StepLR, counted in optimizer steps).</summary>
public sealed class StepDecaySchedule : ILearningRateSchedule
{
    /// <summary>Rate <paramref name="initial"/>, multiplied by <paramref name="gamma"/> every <paramref name="stepSize"/> (&gt; 0) steps.</summary>
    public StepDecaySchedule(double initial, long stepSize, double gamma)
    {
        OptionCheck.NonNegative(nameof(StepDecaySchedule), initial, nameof(initial));
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"{nameof(StepDecaySchedule)}.stepSize must be > 0, got {stepSize}");
        OptionCheck.NonNegative(nameof(StepDecaySchedule), gamma, nameof(gamma));
        Initial = initial;
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>The rate of steps 0 .. StepSize - 1.</summary>
    public double Initial { get; }

    /// <summary>Steps between decays.</summary>
    public long StepSize { get; }

    /// <summary>Factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <summary>Initial * Gamma^floor(step / StepSize) (negative steps count as 0).</summary>
    public double At(long step) => Initial * Math.Pow(Gamma, Math.Max(step, 0) / StepSize);
}

/// <summary>lr(k) = Initial * Gamma^k (PyTorch's ExponentialLR, in closed form).</summary>
public sealed class ExponentialDecaySchedule : ILearningRateSchedule
{
    /// <summary>Rate <paramref name="initial"/>, multiplied by <paramref name="gamma"/> every step.</summary>
    public ExponentialDecaySchedule(double initial, double gamma)
    {
        OptionCheck.NonNegative(nameof(ExponentialDecaySchedule), initial, nameof(initial));
        OptionCheck.NonNegative(nameof(ExponentialDecaySchedule), gamma, nameof(gamma));
        Initial = initial;
        Gamma = gamma;
    }

    /// <summary>The rate of step 0.</summary>
    public double Initial { get; }

    /// <summary>Factor applied every step.</summary>
    public double Gamma { get; }

    /// <summary>Initial * Gamma^step (negative steps count as 0).</summary>
    public double At(long step) => Initial * Math.Pow(Gamma, Math.Max(step, 0));
}

/// <summary>
/// Linear warmup then cosine decay (optax's warmup_cosine_decay_schedule; with no warmup, PyTorch's
/// CosineAnnealingLR with T_max = TotalSteps and eta_min = Final, held at Final afterwards):
/// k &lt; W: Initial + (Peak - Initial) k / W;
/// W &lt;= k &lt;= T: Final + (Peak - Final) (1 + cos(pi (k - W) / (T - W))) / 2;  k &gt; T: Final.
/// With warmup and Initial = 0 the first update has rate 0 (it still updates optimizer state).
/// </summary>
public sealed class CosineSchedule : ILearningRateSchedule
{
    /// <summary>Warmup from <paramref name="initial"/> to <paramref name="peak"/> over <paramref name="warmupSteps"/>, cosine decay to <paramref name="final"/> at <paramref name="totalSteps"/> (&gt; warmupSteps).</summary>
    public CosineSchedule(double peak, long totalSteps, long warmupSteps = 0, double initial = 0, double final = 0)
    {
        OptionCheck.NonNegative(nameof(CosineSchedule), peak, nameof(peak));
        OptionCheck.NonNegative(nameof(CosineSchedule), initial, nameof(initial));
        OptionCheck.NonNegative(nameof(CosineSchedule), final, nameof(final));
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"{nameof(CosineSchedule)}.warmupSteps must be >= 0, got {warmupSteps}");
        if (totalSteps <= warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"{nameof(CosineSchedule)}.totalSteps must exceed warmupSteps ({warmupSteps}), got {totalSteps}");
        Peak = peak;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        Initial = initial;
        Final = final;
    }

    /// <summary>The rate at the end of warmup (the top of the cosine).</summary>
    public double Peak { get; }

    /// <summary>T, the step at which the cosine reaches <see cref="Final"/>.</summary>
    public long TotalSteps { get; }

    /// <summary>W, the number of linear-warmup steps (0 for none).</summary>
    public long WarmupSteps { get; }

    /// <summary>The rate at step 0, where warmup starts.</summary>
    public double Initial { get; }

    /// <summary>The rate from step T on.</summary>
    public double Final { get; }

    /// <summary>The warmup-then-cosine rate of the class formula.</summary>
    public double At(long step)
    {
        if (step < WarmupSteps) return Initial + (Peak - Initial) * Math.Max(step, 0) / WarmupSteps;
        if (step >= TotalSteps) return Final;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Final + (Peak - Final) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>lr(k) = f(k), any user function (the optimizer rejects negative or non-finite results).</summary>
public sealed class LambdaSchedule(Func<long, double> function) : ILearningRateSchedule
{
    private readonly Func<long, double> _function = function ?? throw new ArgumentNullException(nameof(function));

    /// <summary>f(step).</summary>
    public double At(long step) => _function(step);
}
