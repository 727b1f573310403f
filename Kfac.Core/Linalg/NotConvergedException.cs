namespace Kfac.Linalg;

/// <summary>An iterative method (the implicit QL iteration of the symmetric eigensolver) exceeded its
/// iteration limit. Practically unreachable for finite input; kept as a typed failure rather than a hang.</summary>
public sealed class NotConvergedException : LinalgException
{
    /// <summary>An iteration-limit failure described by <paramref name="message"/>.</summary>
    public NotConvergedException(string message) : base(message) { }
}
