namespace Kfac.Linalg;

/// <summary>
/// Base of the numerical failures raised by <c>Kfac.Linalg</c> (a matrix that is not positive definite,
/// a NaN/Inf in an input, an eigensolver that did not converge). The K-FAC optimizer catches this one
/// type to handle numerical trouble in one place (add damping, skip the inverse refresh, ...).
/// Derives from <see cref="ArithmeticException"/> so generic arithmetic handlers also see it.
/// </summary>
public abstract class LinalgException : ArithmeticException
{
    /// <summary>A failure with <paramref name="message"/> and an optional <paramref name="inner"/> cause.</summary>
    protected LinalgException(string message, Exception? inner = null) : base(message, inner) { }
}
