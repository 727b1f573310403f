namespace Kfac.Bayes;

/// <summary>
/// How noisy K-FAC's posterior covariance c (F_hat + gamma_in I)^-1 approximates the damped Kronecker Fisher
/// F_hat = A (x) S of a layer (c = lambda / N).
/// </summary>
public enum PosteriorDamping
{
    /// <summary>c (A + pi sqrt(gamma_in) I)^-1 (x) (S + sqrt(gamma_in)/pi I)^-1: Martens &amp; Grosse's factored Tikhonov
    /// damping, as Zhang et al. 2018 (Algorithm 2) and shared/MATH.md write it. A Kronecker product, but its cross terms
    /// add precision pi sqrt(gamma_in) I (x) S + sqrt(gamma_in)/pi A (x) I beyond A (x) S + gamma_in I.</summary>
    Factored,

    /// <summary>c (A (x) S + gamma_in I)^-1 exactly, in the Kronecker eigenbasis of A and S (eigenvalue products plus
    /// gamma_in): the same posterior family's covariance without the factored form's extra precision.</summary>
    Eigenbasis,
}
