using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Layers;

/// <summary>
/// Batch normalisation (Ioffe and Szegedy 2015) over the channels of [N, C, H, W] images or the features of
/// [N, F] rows: y = gamma xhat + beta with xhat = (x - mu) / sqrt(var + eps) per channel.
/// <list type="bullet">
/// <item>Training: mu and var are the batch's (biased) statistics over (n, h, w), and the running averages
/// move by running = (1 - momentum) running + momentum batch, with the unbiased variance (M / (M - 1)) var,
/// M = N H W (PyTorch's semantics). The normalisation is built from differentiable ops, so gradients and
/// tangents flow through the batch statistics.</item>
/// <item>Evaluation: mu and var are the running averages (constants).</item>
/// </list>
/// The running averages are updated only by training-mode passes that record a graph (GradMode enabled):
/// K-FAC evaluates the network several times per step (Fisher-vector products and the objective re-check run
/// under GradMode.Disable()), and those passes normalise with batch statistics without moving the averages.
/// With <c>affine</c> (default) the layer has scale gamma (ones) and shift beta (zeros), recorded by a
/// <see cref="BatchNormTag"/> whose Fisher block is full (2C x 2C) or diagonal (<c>blockKind</c>).
/// </summary>
public sealed class BatchNorm : Module
{
    private Tensor? _scale, _shift;
    private Tensor _runningMean, _runningVar;

    /// <summary>Batch norm over <paramref name="features"/> channels: y = gamma (x - mean) / sqrt(var + <paramref name="eps"/>) + beta;
    /// the running statistics move by <paramref name="momentum"/> per training step; <paramref name="affine"/> adds gamma and beta
    /// with a Fisher block of kind <paramref name="blockKind"/>.</summary>
    public BatchNorm(int features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
        ParameterBlockKind blockKind = ParameterBlockKind.Full, DType dtype = DType.Float32, Device? device = null)
    {
        if (features <= 0) throw new ArgumentOutOfRangeException(nameof(features), features, "must be positive");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be positive");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1]");
        Features = features;
        Eps = eps;
        Momentum = momentum;
        using (TensorScope.Suspend())
        {
            if (affine)
            {
                _scale = RegisterParameter("weight", Tensor.Ones(new Shape(features), dtype, device));
                _shift = RegisterParameter("bias", Tensor.Zeros(new Shape(features), dtype, device));
                Tag = new BatchNormTag(() => _scale!, () => _shift!, features) { BlockKind = blockKind };
            }
            _runningMean = RegisterBuffer("running_mean", Tensor.Zeros(new Shape(features), dtype, device));
            _runningVar = RegisterBuffer("running_var", Tensor.Ones(new Shape(features), dtype, device));
        }
    }

    /// <summary>The number of channels C normalised.</summary>
    public int Features { get; }

    /// <summary>epsilon added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The running statistics' update weight: running = (1 - momentum) running + momentum batch.</summary>
    public double Momentum { get; }

    /// <summary>gamma (null without affine).</summary>
    public Tensor? Scale => _scale;

    /// <summary>beta (null without affine).</summary>
    public Tensor? Shift => _shift;

    /// <summary>The running mean per channel (used in evaluation mode).</summary>
    public Tensor RunningMean => _runningMean;

    /// <summary>The running (unbiased) variance per channel (used in evaluation mode).</summary>
    public Tensor RunningVar => _runningVar;

    /// <summary>The curvature registration of gamma and beta (null without affine).</summary>
    public BatchNormTag? Tag { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if ((input.Rank != 2 && input.Rank != 4) || input.Shape[1] != Features)
            throw new ShapeMismatchException($"{this}: input has shape {input.Shape}, expected [batch, {Features}] or [batch, {Features}, height, width]", nameof(input));
        var stat = input.Rank == 4 ? new[] { 1, Features, 1, 1 } : new[] { 1, Features };
        Tensor xhat;
        if (IsTraining)
        {
            int count = input.Numel / Features;
            if (count < 2)
                throw new ArgumentException($"{this}: training-mode batch statistics need more than one value per channel, input {input.Shape} has {count}", nameof(input));
            var mean = ChannelSum(input) * (1.0 / count);
            var centred = input - mean.Reshape(stat);
            var variance = ChannelSum(centred * centred) * (1.0 / count);
            xhat = centred / (variance + Eps).Sqrt().Reshape(stat);
            if (GradMode.IsEnabled)
                using (GradMode.Disable())
                {
                    var b = input.Backend;
                    b.Axpby(Momentum, mean, 1 - Momentum, _runningMean);
                    b.Axpby(Momentum * count / (count - 1.0), variance, 1 - Momentum, _runningVar);
                }
        }
        else
        {
            Tensor std;
            using (GradMode.Disable()) std = (_runningVar + Eps).Sqrt().Reshape(stat);
            xhat = (input - _runningMean.Reshape(stat)) / std;
        }
        if (_scale is null) return xhat;
        var y = xhat * _scale.Reshape(stat) + _shift!.Reshape(stat);
        CurvatureRecorder.Current?.Record(Tag!, xhat, y);
        return y;
    }

    /// <summary>Per-channel sums over (n, h, w) as a [C] tensor (two differentiable reductions).</summary>
    private Tensor ChannelSum(Tensor x) =>
        x.Rank == 4 ? x.Reshape(x.Shape[0], Features, -1).Sum(2).Sum(0) : x.Sum(0);

    /// <inheritdoc/>
    protected override void OnParametersReplaced()
    {
        _scale = OptionalParameter("weight");
        _shift = OptionalParameter("bias");
        _runningMean = Buffer("running_mean");
        _runningVar = Buffer("running_var");
    }

    /// <inheritdoc/>
    public override string ToString() => $"BatchNorm({Features}, eps {Eps}, momentum {Momentum}{(_scale is null ? ", no affine" : "")})";
}
