using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>The logistic unit 1 / (1 + e^-x) (the K-FAC autoencoder's hidden units).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>The hyperbolic tangent unit tanh x.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>The rectified linear unit max(0, x).</summary>
public sealed class Relu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>The smooth ReLU log(1 + e^x).</summary>
public sealed class Softplus : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softplus();
}

/// <summary>The identity (a linear layer's "no activation", e.g. the autoencoder's code layer).</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>[n, d1, d2, ...] to [n, d1 * d2 * ...] (a view).</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten();
}

/// <summary>The element-wise nonlinearities a layer can be followed by (see <see cref="Activations.Create"/>).</summary>
public enum Activation
{
    /// <summary>No nonlinearity (<see cref="Layers.Identity"/>).</summary>
    Identity,
    /// <summary>1 / (1 + e^-x) (<see cref="Layers.Sigmoid"/>).</summary>
    Sigmoid,
    /// <summary>tanh x (<see cref="Layers.Tanh"/>).</summary>
    Tanh,
    /// <summary>max(0, x) (<see cref="Layers.Relu"/>).</summary>
    Relu,
    /// <summary>log(1 + e^x) (<see cref="Layers.Softplus"/>).</summary>
    Softplus,
}

/// <summary>Turns an <see cref="Activation"/> into its module.</summary>
public static class Activations
{
    /// <summary>A new module computing <paramref name="activation"/>.</summary>
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
