namespace Kfac.Curvature;

/// <summary>How a Kronecker-factored block is damped when inverted.</summary>
public enum DampingStyle
{
    /// <summary>(A + pi gamma I) (x) (G + gamma/pi I): cheap (two Cholesky inverses), the paper's default (section 6.3).</summary>
    FactoredTikhonov,
    /// <summary>(A (x) G + gamma^2 I)^p applied exactly in the factors' eigenbases:
    /// vec(Q_G [(Q_G^T V Q_A) ./ (lambda_G lambda_A^T + gamma^2)^-p] Q_A^T). Costs two eigendecompositions per
    /// refresh and four GEMMs per product, and allows any power p.</summary>
    Eigenbasis,
}
