using Kfac.Linalg;

namespace Kfac.Distributed;

/// <summary>A curvature block's inverse failed on the rank that owns it (distributed K-FAC computes each inverse on one
/// rank): the other ranks raise this so that every rank rejects the step and resets the block alike.</summary>
public sealed class RemoteInverseException(string message) : LinalgException(message);
