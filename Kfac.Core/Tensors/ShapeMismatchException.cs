namespace Kfac.Tensors;

/// <summary>Raised eagerly, when an op is constructed, if its operands' shapes do not fit together.
/// The message names the op, the argument and both shapes.</summary>
public sealed class ShapeMismatchException : ArgumentException
{
    public ShapeMismatchException(string message, string? paramName) : base(message, paramName) { }

    public ShapeMismatchException(string op, string paramName, Shape expected, Shape actual, string? detail = null)
        : base($"{op}: argument '{paramName}' has shape {actual}, expected {expected}" + (detail is null ? "" : $" ({detail})"), paramName)
    {
        Expected = expected;
        Actual = actual;
    }

    public Shape Expected { get; }

    public Shape Actual { get; }
}
