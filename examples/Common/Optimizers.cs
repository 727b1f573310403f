using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Training;
using Kfac.Training.Distributed;

namespace Kfac.Examples;

/// <summary>Turns the --optimizer choice into a training step.</summary>
public static class Optimizers
{
    public static ITrainingStep Create(RunSettings s, Module model, ILoss loss, double defaultLearningRate)
    {
        var parameters = model.Parameters();
        double lr = s.LearningRate ?? defaultLearningRate;
        ITrainingStep step = s.Optimizer switch
        {
            "sgd" => new FirstOrderStep(model, loss, new Sgd(parameters, new SgdOptions { LearningRate = lr }), "sgd"),
            "momentum" => new FirstOrderStep(model, loss, new Sgd(parameters, new SgdOptions { LearningRate = lr, Momentum = s.Momentum }), "momentum"),
            "nesterov" => new FirstOrderStep(model, loss, new Sgd(parameters, new SgdOptions { LearningRate = lr, Momentum = s.Momentum, Nesterov = true }), "nesterov"),
            "adam" => new FirstOrderStep(model, loss, new Adam(parameters, new AdamOptions { LearningRate = lr }), "adam"),
            "kfac" => new KfacStep(model, new KfacOptimizer(model.Parameters(), loss, new KfacOptions
            {
                InitialLambda = s.Lambda,
                L2 = s.L2,
                Structure = s.Structure,
                Estimation = s.Estimation,
                StepSize = s.StepSize,
                LearningRate = s.LearningRate ?? 0.25,
                Momentum = s.Momentum,
                StatisticsFraction = s.StatisticsFraction,
                QuadraticModelFraction = s.QuadraticModelFraction,
                InverseInterval = s.InverseInterval,
                StatisticsInterval = s.StatisticsInterval,
                KlClip = s.KlClip,
                MinLambda = s.MinLambda,
                GammaRule = s.GammaRule,
                Seed = (ulong)s.Seed + 1,
            })),
            _ => throw new ArgumentException($"--optimizer must be sgd, momentum, nesterov, adam or kfac; got '{s.Optimizer}'"),
        };
        return DistributedSetup.Wrap(step, model, loss, s);
    }

    /// <summary>The optimizer's state for a checkpoint.</summary>
    public static OptimizerStateDict ExportState(ITrainingStep step) => step switch
    {
        FirstOrderStep f => f.Optimizer.ExportState(),
        KfacStep k => k.Optimizer.ExportState(),
        DataParallelStep d => d.Optimizer.ExportState(),
        DistributedKfacStep k => k.Optimizer.ExportState(),
        _ => throw new NotSupportedException(step.GetType().Name),
    };

    public static void ImportState(ITrainingStep step, OptimizerStateDict state)
    {
        switch (step)
        {
            case FirstOrderStep f: f.Optimizer.ImportState(state); break;
            case KfacStep k: k.Optimizer.ImportState(state); break;
            case DataParallelStep d: d.Optimizer.ImportState(state); break;
            case DistributedKfacStep k: k.Optimizer.ImportState(state); break;
            default: throw new NotSupportedException(step.GetType().Name);
        }
    }
}
