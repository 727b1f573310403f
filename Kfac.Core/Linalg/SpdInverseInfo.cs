namespace Kfac.Linalg;

/// <summary>The floating-point precision a factorisation ran in.</summary>
public enum FactorPrecision
{
    /// <summary>IEEE float32.</summary>
    Single,
    /// <summary>IEEE float64.</summary>
    Double,
}

/// <summary>
/// How <see cref="GuardedSpdInverse"/> produced its result: the precision of the successful Cholesky,
/// whether a float32 attempt failed and was redone in float64, and the damping d that was added (A + d I).
/// </summary>
public readonly record struct SpdInverseInfo(FactorPrecision Precision, bool FellBackToDouble, double Damping);
