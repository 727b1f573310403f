namespace Kfac.Optim;

/// <summary>
/// A learning rate as a function of the step. Steps count from 0: <c>At(0)</c> is the rate of the first
/// update, <c>At(k)</c> the rate of the update made after k completed steps (the optimizer evaluates it at
/// <see cref="OptimizerState.Step"/> before counting the step). Schedules return absolute rates.
/// </summary>
public interface ILearningRateSchedule
{
    double At(long step);
}

/// <summary>lr(k) = LearningRate.</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    public ConstantSchedule(double learningRate)
    {
        OptionCheck.NonNegative(nameof(ConstantSchedule), learningRate, nameof(learningRate));
        LearningRate = learningRate;
    }

    public double LearningRate { get; }

    public double At(long step) => LearningRate;
}

/// <summary>lr(k) = Initial * Gamma^floor(k / StepSize) (PyTorch's StepLR, counted in optimizer steps).</summary>
public sealed class StepDecaySchedule : ILearningRateSchedule
{
    public StepDecaySchedule(double initial, long stepSize, double gamma)
    {
        OptionCheck.NonNegative(nameof(StepDecaySchedule), initial, nameof(initial));
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"{nameof(StepDecaySchedule)}.stepSize must be > 0, got {stepSize}");
        OptionCheck.NonNegative(nameof(StepDecaySchedule), gamma, nameof(gamma));
        Initial = initial;
        StepSize = stepSize;
        Gamma = gamma;
    }

    public double Initial { get; }

    public long StepSize { get; }

    public double Gamma { get; }

    public double At(long step) => Initial * Math.Pow(Gamma, Math.Max(step, 0) / StepSize);
}

/// <summary>lr(k) = Initial * Gamma^k (PyTorch's ExponentialLR, in closed form).</summary>
public sealed class ExponentialDecaySchedule : ILearningRateSchedule
{
    public ExponentialDecaySchedule(double initial, double gamma)
    {
        OptionCheck.NonNegative(nameof(ExponentialDecaySchedule), initial, nameof(initial));
        OptionCheck.NonNegative(nameof(ExponentialDecaySchedule), gamma, nameof(gamma));
        Initial = initial;
        Gamma = gamma;
    }

    public double Initial { get; }

    public double Gamma { get; }

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

    public double Peak { get; }

    public long TotalSteps { get; }

    public long WarmupSteps { get; }

    public double Initial { get; }

    public double Final { get; }

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

    public double At(long step) => _function(step);
}
