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
            "sgd" => new FirstOrderStep(model, loss, new Sgd(parameters, new SgdOptions { LearningRate = lr })),
            "momentum" => new FirstOrderStep(model, loss, new Sgd(parameters, new SgdOptions { LearningRate = lr, Momentum = s.Momentum })),
            "nesterov" => new FirstOrderStep(model, loss, new Sgd(parameters, new SgdOptions { LearningRate = lr, Momentum = s.Momentum, Nesterov = true })),
            "adam" => new FirstOrderStep(model, loss, new Adam(parameters, new AdamOptions { LearningRate = lr })),
            "kfac" => new KfacStep(model, NewKfac(model, loss, new KfacOptions
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
                ImplausibleStep = s.ImplausibleStep,
                Seed = (ulong)s.Seed + 1,
            })),
            _ => throw new UsageException($"--optimizer must be sgd, momentum, nesterov, adam or kfac; got '{s.Optimizer}'"),
        };
        return DistributedSetup.Wrap(step, model, loss, s);
    }

    /// <summary>K-FAC with options from the command line: an option KfacOptions.Validate refuses is a usage error.</summary>
    private static KfacOptimizer NewKfac(Module model, ILoss loss, KfacOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"K-FAC options: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        return new KfacOptimizer(model.Parameters(), loss, options);
    }

    /// <summary>Sets a first-order optimizer's learning rate (every group) and returns the previous one; null for
    /// K-FAC, whose learning rate is an option and never comes from a checkpoint.</summary>
    public static double? SetLearningRate(ITrainingStep step, double learningRate)
    {
        Optimizer? optimizer = step switch
        {
            FirstOrderStep f => f.Optimizer,
            DataParallelStep d => d.Optimizer,
            _ => null,
        };
        if (optimizer is null) return null;
        double previous = optimizer.LearningRate;
        optimizer.LearningRate = learningRate;
        return previous;
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
