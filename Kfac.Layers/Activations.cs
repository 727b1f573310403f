using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>The logistic unit 1 / (1 + e^-x) (the K-FAC autoencoder's hidden units).</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor input) => input.Tanh();
}

public sealed class Relu : Module
{
    public override Tensor Forward(Tensor input) => input.Relu();
}

public sealed class Softplus : Module
{
    public override Tensor Forward(Tensor input) => input.Softplus();
}

/// <summary>The identity (a linear layer's "no activation", e.g. the autoencoder's code layer).</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>[n, d1, d2, ...] to [n, d1 * d2 * ...] (a view).</summary>
public sealed class Flatten : Module
{
    public override Tensor Forward(Tensor input) => input.Flatten();
}

public enum Activation
{
    Identity,
    Sigmoid,
    Tanh,
    Relu,
    Softplus,
}

public static class Activations
{
    public static Module Create(Activation activation) => activation switch
    {
        Activation.Identity => new Identity(),
        Activation.Sigmoid => new Sigmoid(),
        Activation.Tanh => new Tanh(),
        Activation.Relu => new Relu(),
        Activation.Softplus => new Softplus(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}
