using Kfac.Sampling;
using Kfac.Tensors;

namespace Kfac.Losses;

/// <summary>
/// A loss that knows its probabilistic meaning (MATH.md): the network output z parameterises a predictive
/// distribution p(y | z), and the per-example loss is L = -log p(y | z) (up to an additive constant).
/// Besides the value, K-FAC needs samples from p(y | z) (true-Fisher targets) and products with the output
/// Fisher F_R(z) = E_{y~p}[grad_z log p grad_z log p^T]; for these three losses z are natural parameters,
/// so F_R is also the Hessian of L in z and the Fisher equals the generalised Gauss-Newton matrix.
/// Tensors are [batch, outputs]; every method works on the whole batch.
/// </summary>
public interface ILoss
{
    /// <summary>A short snake_case identifier for logs and checkpoints (e.g. "softmax_cross_entropy").</summary>
    string Name { get; }

    /// <summary>
    /// A lower bound of <see cref="Value"/> over all outputs and targets, or -infinity when there is none. The three
    /// built-in losses are bounded by 0 (cross entropies are -log of a probability; squared error drops the Gaussian's
    /// constant). K-FAC uses it as a sanity check: a quadratic model that predicts a decrease larger than
    /// (objective - bound) cannot be right, so the step is rejected (docs/kfac.md, "Guards").
    /// </summary>
    double LowerBound => double.NegativeInfinity;

    /// <summary>
    /// The infimum over outputs of <see cref="Value"/> for these targets: at least <see cref="LowerBound"/>, and larger
    /// when the targets cannot be predicted with certainty (soft targets of a cross entropy: the sigmoid cross entropy
    /// of intensities in [0, 1] cannot fall below their binary entropy, about 186 nats per Fashion-MNIST image).
    /// K-FAC's guards measure the objective's excess over this bound (docs/kfac.md, "Guards"). Default:
    /// <see cref="LowerBound"/>.
    /// </summary>
    double TargetLowerBound(Tensor target) => LowerBound;

    /// <summary>Mean over the batch of -log p(target_i | output_i): a differentiable scalar.</summary>
    Tensor Value(Tensor output, Tensor target);

    /// <summary>dL_i/dz_i per example (NOT divided by the batch size), computed in closed form.</summary>
    Tensor OutputGradient(Tensor output, Tensor target);

    /// <summary>Targets drawn from the model's predictive distribution p(y | output), one per example, on the
    /// output's device from the counter-based stream (the same draws on every backend).</summary>
    Tensor Sample(Tensor output, RandomStream rng);

    /// <summary>Rows F_R(z_i) v_i: the output Fisher of each example applied to the matching row of v.</summary>
    Tensor FisherProduct(Tensor output, Tensor v);

    /// <summary>
    /// Columns of a square root of the output Fisher, F_R(z_i) = sum_j b_ij b_ij^T: tensor j of the result
    /// holds b_ij in row i. Backpropagating each gives the "exact" K-FAC G statistics; there are as many
    /// as the distribution has output dimensions (1 per example is what sampling costs instead).
    /// </summary>
    IReadOnlyList<Tensor> FisherSquareRootColumns(Tensor output);
}
