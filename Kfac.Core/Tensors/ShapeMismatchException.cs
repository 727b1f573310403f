namespace Kfac.Tensors;

/// <summary>Raised eagerly, when an op is constructed, if its operands' shapes do not fit together.
/// The message names the op, the argument and both shapes.</summary>
public sealed class ShapeMismatchException : ArgumentException
{
    /// <summary>An exception with a prepared <paramref name="message"/> naming the op and shapes, for argument <paramref name="paramName"/>.</summary>
    public ShapeMismatchException(string message, string? paramName) : base(message, paramName) { }

    /// <summary>"op: argument 'paramName' has shape actual, expected expected (detail)".</summary>
    public ShapeMismatchException(string op, string paramName, Shape expected, Shape actual, string? detail = null)
        : base($"{op}: argument '{paramName}' has shape {actual}, expected {expected}" + (detail is null ? "" : $" ({detail})"), paramName)
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The shape the op needed (default when the message-only constructor was used).</summary>
    public Shape Expected { get; }

    /// <summary>The shape the argument had (default when the message-only constructor was used).</summary>
    public Shape Actual { get; }
}
