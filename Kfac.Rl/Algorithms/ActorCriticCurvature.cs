using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Rl.Policies;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// ACKTR's curvature (Wu et al. 2017, section 3): one Kronecker-factored block per Dense layer and one KFC
/// block per Conv2d (Grosse &amp; Martens 2016) of the actor-critic, with statistics from the backward pass of the
/// "Fisher loss" on the same forward pass as the training loss:
///   L_F = -mean_i log pi(a_i | s_i) - c_vF mean_i (V(s_i) - stopgrad(V(s_i) + eps_i))^2,  eps_i ~ N(0, 1),
/// where a_i are the actions taken, which were sampled from the current policy (so the G factors estimate the
/// policy's true Fisher), and the critic term is the sampled Gauss-Newton matrix of a unit-variance Gaussian
/// value model (baselines' form: its per-example gradient is 2 c_vF eps_i, so the critic's G factor has
/// expectation 4 c_vF^2 times the unit-variance Gauss-Newton factor). With a shared torso the torso's blocks
/// see the sum of both per-example gradients, as in baselines. Damping: the factors' eigendecompositions with
/// <see cref="DampingStyle.Eigenbasis"/>, (A (x) G + damping I)^-1, baselines' "epsilon added to the products of
/// the eigenvalues". The Gaussian policy's state-independent log-std has an exact Fisher block of its own:
/// the score of log sigma_d is z_d^2 - 1 (z = (a - mu) / sigma), so F = E[(z^2 - 1)^2] I = 2 I, and its cross terms
/// with the mean's parameters vanish (E[z (z^2 - 1)] = 0): it is preconditioned by (2 + damping)^-1. Any other
/// parameter outside a block would get the identity.
/// </summary>
public sealed partial class ActorCriticCurvature
{
    private readonly ActorCritic _policy;
    private readonly CurvatureRecorder _recorder = new();
    private readonly List<CurvatureBlock> _blocks = [];
    private readonly List<Tensor[]> _parameters = [];
    private readonly List<Tensor[]> _results = [];
    private readonly List<Tensor[]> _gradients = [];
    private readonly List<LayerCapture[]> _captureLists = [];
    private readonly List<Tensor> _uncovered = [];

    /// <summary>The curvature of <paramref name="policy"/>; <paramref name="inverseStaleness"/> S &gt; 0 computes the
    /// eigendecompositions in the background (<see cref="ScheduleRefresh"/>), 0 refreshes them in place
    /// (<see cref="RefreshInverses"/>). <paramref name="dampingStyle"/>: eigenbasis damping (baselines' ACKTR, the
    /// default) or K-FAC's factored Tikhonov damping with Cholesky-based inverses (<see cref="AcktrOptions.DampingStyle"/>).</summary>
    public ActorCriticCurvature(ActorCritic policy, int inverseStaleness = 0, DampingStyle dampingStyle = DampingStyle.Eigenbasis)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        if (inverseStaleness < 0) throw new ArgumentOutOfRangeException(nameof(inverseStaleness), inverseStaleness, "must be >= 0 (0: synchronous eigendecompositions)");
        if (!Enum.IsDefined(dampingStyle)) throw new ArgumentOutOfRangeException(nameof(dampingStyle), dampingStyle, "not a DampingStyle");
        InverseStaleness = inverseStaleness;
        DampingStyle = dampingStyle;
    }

    /// <summary>How every block is damped and inverted (eigenbasis: baselines' form; factored Tikhonov: K-FAC's).</summary>
    public DampingStyle DampingStyle { get; }

    public IReadOnlyList<CurvatureBlock> Blocks => _blocks;

    /// <summary>Parameters without a block: the Gaussian log-std (its exact Fisher, <see cref="LogStdFisher"/>) and any other (identity).</summary>
    public IReadOnlyList<Tensor> Uncovered => _uncovered;

    /// <summary>Runs <paramref name="forward"/> with the recorder active (layers record their inputs and
    /// outputs) and returns its result.</summary>
    public T Record<T>(Func<T> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        _recorder.Clear();
        using (_recorder.Activate()) return forward();
    }

    /// <summary>Backpropagates the Fisher loss through the recorded pass (activations only, graph retained for
    /// the training loss) and folds the captured statistics into the blocks' moving averages.</summary>
    public void UpdateStatistics(Tensor logProb, Tensor value, double valueFisherCoefficient, double decay, System.Random rng)
    {
        BackwardFisherLoss(logProb, value, valueFisherCoefficient, rng);
        FoldStatistics(decay);
    }

    /// <summary>The Fisher loss's backward pass with the recorder capturing the layers' output gradients.</summary>
    public void BackwardFisherLoss(Tensor logProb, Tensor value, double valueFisherCoefficient, System.Random rng)
    {
        ArgumentNullException.ThrowIfNull(logProb);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(rng);
        int m = value.Shape[0];
        var noisy = new double[m];
        var v = value.ToDoubleArray();
        for (int i = 0; i < m; i++) noisy[i] = v[i] + Kfac.Sampling.Gaussian.Sample(rng);
        var target = Tensor.FromDoubles(noisy, value.Shape, value.DType, value.Device);
        var fisherLoss = -logProb.Mean() - (value - target).Square().Mean() * valueFisherCoefficient;
        _recorder.CapturingGradients = true;
        try
        {
            fisherLoss.Backward(new BackwardOptions { AccumulateLeafGradients = false, RetainGraph = true });
        }
        finally { _recorder.CapturingGradients = false; }
    }

    /// <summary>Folds the captures of the last <see cref="BackwardFisherLoss"/> into the blocks' moving averages
    /// (discovering the blocks on the first call).</summary>
    public void FoldStatistics(double decay)
    {
        if (_blocks.Count == 0) DiscoverBlocks();
        var captures = _recorder.Captures;
        if (captures.Count != _blocks.Count)
            throw new InvalidOperationException($"the forward pass recorded {captures.Count} layers, the curvature has {_blocks.Count} blocks");
        for (int i = 0; i < _blocks.Count; i++)
        {
            _captureLists[i][0] = captures[i];
            _blocks[i].UpdateStatistics(_captureLists[i], decay);
        }
    }

    private void DiscoverBlocks()
    {
        using var outside = TensorScope.Suspend();
        var covered = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var c in _recorder.Captures)
        {
            CurvatureBlock block = c.Tag switch
            {
                DenseTag d => new KroneckerFactoredBlock(d, DampingStyle),
                ConvTag k => new KfcBlock(k, DampingStyle),
                var t => throw new NotSupportedException($"ACKTR has no curvature block for {t}"),
            };
            foreach (var p in block.Parameters)
                if (!covered.Add(p)) throw new InvalidOperationException($"parameter {p} is recorded by two layers (a layer used twice in one pass)");
            _blocks.Add(block);
            _parameters.Add(block.Parameters.ToArray());
            _results.Add(block.Parameters.Select(Tensor.ZerosLike).ToArray());
            _gradients.Add(new Tensor[block.Parameters.Count]);
            _captureLists.Add(new LayerCapture[1]);
        }
        foreach (var p in _policy.Parameters())
            if (!covered.Contains(p)) _uncovered.Add(p);
    }

    /// <summary>Recomputes every block's damped inverse. Returns false, after discarding the statistics of the
    /// blocks that failed (non-finite factors, no decomposition even with raised damping), when any block could
    /// not be inverted; the caller then skips the step rather than precondition with a ruined block.</summary>
    public bool RefreshInverses(double damping)
    {
        bool ok = true;
        foreach (var b in _blocks)
        {
            try
            {
                // Eigenbasis damping adds gamma^2 to the eigenvalue products; factored damping uses the same gamma per factor.
                b.RefreshInverse(Math.Sqrt(damping));
            }
            catch (Kfac.Linalg.LinalgException)
            {
                b.ResetStatistics();
                ok = false;
            }
        }
        return ok;
    }

    /// <summary>True when every block has a usable inverse: the live blocks' (staleness 0) or the installed
    /// background ones' (<see cref="InverseBlocks"/>).</summary>
    public bool Ready
    {
        get
        {
            var blocks = InverseBlocks;
            if (blocks.Count == 0) return false;
            foreach (var b in blocks) if (!b.HasInverse) return false;
            return true;
        }
    }

    /// <summary>The exact Fisher of a diagonal Gaussian policy with respect to each log sigma_d: E[(z^2 - 1)^2] = 2.</summary>
    public const double LogStdFisher = 2.0;

    /// <summary>Replaces each gradient by Delta = (F + damping)^-1 g (blocks: their own damped inverses; the
    /// Gaussian log-std: (<see cref="LogStdFisher"/> + <paramref name="damping"/>)^-1 g; other uncovered parameters: g)
    /// and returns g^T Delta (computed before the replacement). The inverses are those of <see cref="InverseBlocks"/>.</summary>
    public double Precondition(double damping)
    {
        if (!(damping >= 0) || !double.IsFinite(damping)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "must be finite and >= 0");
        double dot = 0;
        var inverses = InverseBlocks;
        for (int i = 0; i < inverses.Count; i++)
        {
            var ps = _parameters[i];
            var grads = _gradients[i];
            for (int j = 0; j < ps.Length; j++) grads[j] = ps[j].Grad ?? throw new InvalidOperationException($"parameter {ps[j]} has no gradient");
            var result = _results[i];
            inverses[i].MultiplyByDampedPower(grads, result, -1);
            for (int j = 0; j < ps.Length; j++)
            {
                dot += grads[j].Backend.Dot(grads[j], result[j]);
                grads[j].Backend.Copy(result[j], grads[j]);
            }
        }
        foreach (var p in _uncovered)
        {
            if (p.Grad is not { } g) continue;
            double inverse = ReferenceEquals(p, _policy.LogStd) ? 1.0 / (LogStdFisher + damping) : 1.0;
            dot += inverse * g.Backend.Dot(g, g);
            if (inverse != 1.0) g.Backend.Affine(g, inverse, 0, g);
        }
        return dot;
    }
}
