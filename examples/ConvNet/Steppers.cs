using Kfac.Layers;
using Kfac.Losses;
using Kfac.Optim;
using Kfac.Optim.Kfac;
using Kfac.Tensors;

namespace Kfac.Examples.ConvNet;

/// <summary>One training step on a batch, whatever the optimizer; returns the batch loss.</summary>
public interface IStepper
{
    double Step(Tensor inputs, Tensor targets);
}

/// <summary>SGD, momentum and Adam: forward, loss, backward, update.</summary>
public sealed class FirstOrderStepper(Module model, ILoss loss, Optimizer optimizer) : IStepper
{
    public double Step(Tensor inputs, Tensor targets)
    {
        optimizer.ZeroGrad();
        var l = loss.Value(model.Forward(inputs), targets);
        l.Backward();
        optimizer.Step();
        return l.Item();
    }
}

/// <summary>K-FAC: the optimizer runs the forward passes it needs itself.</summary>
public sealed class KfacStepper(Module model, KfacOptimizer kfac) : IStepper
{
    public double Step(Tensor inputs, Tensor targets) => kfac.Step(model.Forward, inputs, targets).Loss;
}

public static class Steppers
{
    public static IStepper Create(string optimizer, Module model, ILoss loss, double? learningRate)
    {
        var ps = model.Parameters();
        return optimizer switch
        {
            "sgd" => new FirstOrderStepper(model, loss, new Sgd(ps, new SgdOptions { LearningRate = learningRate ?? 0.05 })),
            "momentum" => new FirstOrderStepper(model, loss, new Sgd(ps, new SgdOptions { LearningRate = learningRate ?? 0.01, Momentum = 0.9 })),
            "adam" => new FirstOrderStepper(model, loss, new Adam(ps, new AdamOptions { LearningRate = learningRate ?? 1e-3 })),
            "kfac" => new KfacStepper(model, new KfacOptimizer(ps, loss, KfacOptionsFor(learningRate))),
            _ => throw new ArgumentException($"unknown optimizer '{optimizer}'", nameof(optimizer)),
        };
    }

    /// <summary>Quadratic-model step sizes with a classification-scale initial lambda, or a fixed rate with momentum.</summary>
    public static KfacOptions KfacOptionsFor(double? learningRate) => learningRate is { } lr
        ? new KfacOptions { InitialLambda = 1, StepSize = StepSizeRule.FixedLearningRate, LearningRate = lr, Momentum = 0.9 }
        : new KfacOptions { InitialLambda = 1 };
}
