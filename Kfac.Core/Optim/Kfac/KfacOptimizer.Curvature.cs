using System.Diagnostics;
using Kfac.Autodiff;
using Kfac.Curvature;
using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

public sealed partial class KfacOptimizer
{
    /// <summary>Creates the blocks from the layers recorded on the first statistics pass and checks that every
    /// parameter is covered by exactly one block.</summary>
    private void EnsureBlocks()
    {
        if (_blocks is not null) return;
        var tags = new List<LayerTag>();
        foreach (var c in _recorder.Captures)
        {
            if (tags.Contains(c.Tag))
                throw new NotSupportedException($"{c.Tag} was recorded twice in one forward pass (a shared layer); K-FAC blocks assume each layer is applied once per pass");
            tags.Add(c.Tag);
        }
        if (tags.Count == 0)
            throw new InvalidOperationException("the forward pass recorded no layers: K-FAC needs layers that register curvature tags (Dense, ...)");
        var blocks = Options.Structure switch
        {
            CurvatureStructure.BlockDiagonal => tags.Select(t => t.CreateBlock(Options.Damping)).ToList(),
            CurvatureStructure.BlockTridiagonal => [new TridiagonalChain(tags.Select(t => t as DenseTag
                ?? throw new NotSupportedException($"the block-tridiagonal structure covers chains of dense layers; {t} is not one")).ToList())],
            _ => throw new InvalidOperationException(),
        };
        var index = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++) index[_parameters[i]] = i;
        var covered = new bool[_parameters.Length];
        var blockParameterIndex = new int[blocks.Count][];
        for (int b = 0; b < blocks.Count; b++)
        {
            var ps = blocks[b].Parameters;
            blockParameterIndex[b] = new int[ps.Count];
            for (int j = 0; j < ps.Count; j++)
            {
                if (!index.TryGetValue(ps[j], out int i))
                    throw new InvalidOperationException($"{blocks[b]} covers a parameter ({ps[j].Name}) that was not given to the optimizer");
                if (covered[i]) throw new InvalidOperationException($"parameter {ps[j].Name} is covered by two curvature blocks");
                covered[i] = true;
                blockParameterIndex[b][j] = i;
            }
        }
        var uncovered = Enumerable.Range(0, _parameters.Length).Where(i => !covered[i]).ToList();
        if (uncovered.Count > 0)
            throw new InvalidOperationException(
                "these parameters belong to no layer the forward pass recorded, so K-FAC has no curvature block for them: " +
                string.Join(", ", uncovered.Select(i => _parameters[i].Name ?? $"#{i} {_parameters[i].Shape}")));
        _blocks = blocks;
        _blockParameterIndex = blockParameterIndex;
        _blockGradients = blockParameterIndex.Select(idx => idx.Select(i => _gradient[i]).ToArray()).ToArray();
        _blockDirections = blockParameterIndex.Select(idx => idx.Select(i => _direction[i]).ToArray()).ToArray();
        ApplyPendingImport();
    }

    private void UpdateStatistics()
    {
        var byTag = new Dictionary<LayerTag, LayerCapture>(ReferenceEqualityComparer.Instance);
        foreach (var c in _recorder.Captures) byTag[c.Tag] = c;
        foreach (var block in _blocks!)
        {
            var captures = block.Tags.Select(t => byTag.TryGetValue(t, out var c) ? c
                : throw new InvalidOperationException($"{t} was not recorded in this forward pass (the network's layers changed?)")).ToList();
            block.UpdateStatistics(captures, Options.Decay);
        }
    }

    /// <summary>Refreshes every block's inverse (concurrently on the CPU, see <see cref="ConcurrentInverseRefresh"/>). A block whose inverse fails even after its own damping retries
    /// (see <see cref="CurvatureBlock.RefreshInverse"/>) has its statistics reset and the failure is rethrown for
    /// <see cref="Step"/> to reject the step; until a refresh succeeds, every step refreshes.</summary>
    private void RefreshInverses(double gamma)
    {
        long t0 = Stopwatch.GetTimestamp();
        DiscardPendingRefresh();
        InverseSourceStep = _currentStep;
        _inversesStale = true;
        List<(CurvatureBlock Block, LinalgException Error)>? failures;
        if (IsDistributed)
        {
            ReduceLazyStatistics();
            failures = RefreshDistributed(gamma);
        }
        else failures = ConcurrentInverseRefresh.RefreshAll(_blocks!, gamma);
        if (failures is not null)
        {
            foreach (var (block, _) in failures) block.ResetStatistics();
            Timings.Add(KfacPhase.Inverses, t0);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0].Error);
        }
        _inversesStale = false;
        Timings.Add(KfacPhase.Inverses, t0);
    }

    /// <summary>Delta = -(F_hat + damping)^-1 grad h, block by block.</summary>
    private void ComputeDirection()
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int b = 0; b < _blocks!.Count; b++)
        {
            if (HoldsInverse(b)) _blocks[b].MultiplyByDampedPower(_blockGradients![b], _blockDirections![b], -1, scale: -1);
        }
        BroadcastDirections();
        TrackInverseAge(_currentStep);
        Timings.Add(KfacPhase.Direction, t0);
    }

    /// <summary>Where the quadratic model's Jacobian-vector products come from: forward mode replayed over a graph
    /// recorded this step on the model's rows (no second primal pass), or a fresh forward pass on them.</summary>
    private sealed record QuadraticSample(Func<Tensor, Tensor> Forward, Tensor? Inputs, Tensor? Graph);

    private (Tensor Jv, Tensor Output) JacobianVectorProduct(QuadraticSample sample, IReadOnlyList<Tensor> v)
    {
        if (sample.Graph is { } z && ReplayQuadraticModel)
        {
            try
            {
                return (ForwardMode.Replay(z, _parameters, v), z);
            }
            catch (NotSupportedException)
            {
                ReplayQuadraticModel = false; // an op without a replay rule: use fresh passes from now on
            }
        }
        var x = sample.Inputs ?? throw new InvalidOperationException("no inputs for the quadratic model's forward pass");
        return FisherProducts.JacobianVectorProduct(sample.Forward, _parameters, x, v);
    }

    /// <summary>J delta0 and delta0^T F delta0: the same for every gamma trial of a step, so computed once per step
    /// (the plain inner products with delta0 ride along in <see cref="ChooseStep"/>'s single pass over the vectors).</summary>
    private sealed record PreviousTerms(Tensor JPrevious, double PreviousFPrevious);

    /// <summary>The delta0 terms, or null when momentum is off or there is no previous update yet.</summary>
    private PreviousTerms? PreviousTermsFor(QuadraticSample sample)
    {
        if (!(Options.UseMomentum && Iteration > 0)) return null;
        long t0 = Stopwatch.GetTimestamp();
        var (jPrev, z) = JacobianVectorProduct(sample, _previous);
        // delta0^T F delta0 on the whole batch's model rows: the ranks' row-weighted sum (one all-reduce).
        Span<double> pFp = [FisherProducts.QuadraticForm(Loss, z, jPrev, jPrev)];
        ReduceScalars(pFp, QuadraticShare());
        var terms = new PreviousTerms(jPrev, pFp[0]);
        Timings.Add(KfacPhase.QuadraticModel, t0);
        return terms;
    }

    /// <summary>alpha and mu for the current Delta under the configured rule.</summary>
    private QuadraticModel.Solution ChooseStep(QuadraticSample? sample, PreviousTerms? previous)
    {
        var o = Options;
        if (o.StepSize != StepSizeRule.QuadraticModel) return ChooseFirstOrderStep();

        long t0 = Stopwatch.GetTimestamp();
        // grad^T Delta, |Delta|^2 and (with momentum) Delta^T delta0, |delta0|^2 and grad^T delta0 in one pass.
        Span<double> dots = stackalloc double[5];
        if (previous is not null)
            ParameterVectors.Dots([_gradient, _direction, _direction, _previous, _gradient], [_direction, _direction, _previous, _previous, _previous], dots);
        else ParameterVectors.Dots([_gradient, _direction], [_direction, _direction], dots);
        double gradDelta = dots[0], deltaDelta = dots[1];
        var (jDelta, z) = JacobianVectorProduct(sample!, _direction);
        // The Fisher terms are means over this rank's model rows: the batch's are their row-weighted sum over ranks,
        // packed in one all-reduce (grad, Delta and delta0 are already the same on every rank).
        Span<double> fisher = [FisherProducts.QuadraticForm(Loss, z, jDelta, jDelta),
            previous is null ? 0 : FisherProducts.QuadraticForm(Loss, z, jDelta, previous.JPrevious)];
        ReduceScalars(fisher, QuadraticShare());
        double dFd = fisher[0];
        double dFp = 0, pFp = 0, dp = 0, pp = 0, gp = 0;
        if (previous is not null)
        {
            dFp = fisher[1];
            (dp, pp, gp) = (dots[2], dots[3], dots[4]);
            pFp = previous.PreviousFPrevious;
        }
        var terms = new QuadraticModel.Terms(dFd, dFp, pFp, deltaDelta, dp, pp, gradDelta, gp);
        var solution = QuadraticModel.Solve(terms, Lambda + o.L2, previous is not null, o.MomentumLimit);
        Timings.Add(KfacPhase.QuadraticModel, t0);
        return solution;
    }

    /// <summary>alpha and mu without the quadratic model: a fixed rate, or ACKTR's KL-clipped rate.</summary>
    private QuadraticModel.Solution ChooseFirstOrderStep()
    {
        var o = Options;
        switch (o.StepSize)
        {
            case StepSizeRule.FixedLearningRate:
                return new QuadraticModel.Solution(o.LearningRate, o.Momentum, double.NaN);
            case StepSizeRule.KlClipping:
                {
                    // Delta^T F_hat Delta = -grad^T Delta since Delta = -F_hat^-1 grad (ACKTR, Wu et al. 2017).
                    double quad = -ParameterVectors.Dot(_gradient, _direction);
                    double rate = quad > 0 ? Math.Min(o.LearningRate, Math.Sqrt(2 * o.KlClip / quad)) : o.LearningRate;
                    return new QuadraticModel.Solution(rate, o.Momentum, double.NaN);
                }
            default:
                throw new InvalidOperationException($"{o.StepSize} is not a first-order step-size rule");
        }
    }

    /// <summary>Copies the current inverses (every block) and Delta aside; false when some block cannot keep its inverse.</summary>
    private bool KeepTrial()
    {
        long t0 = Stopwatch.GetTimestamp();
        bool all = true;
        for (int b = 0; b < _blocks!.Count; b++) if (HoldsInverse(b)) all &= _blocks[b].KeepInverse();
        all = AgreeOnKeptTrial(all);
        if (all)
        {
            _keptDirection ??= ParameterVectors.ZerosLike(_parameters);
            ParameterVectors.Copy(_direction, _keptDirection);
        }
        Timings.Add(KfacPhase.Inverses, t0);
        return all;
    }

    private void RestoreTrial()
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int b = 0; b < _blocks!.Count; b++) if (HoldsInverse(b)) _blocks[b].RestoreKeptInverse();
        ParameterVectors.Copy(_keptDirection!, _direction);
        Timings.Add(KfacPhase.Inverses, t0);
    }
}
