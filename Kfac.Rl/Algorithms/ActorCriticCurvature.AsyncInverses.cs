using Kfac.Curvature;
using Kfac.Tensors;

namespace Kfac.Rl.Algorithms;

/// <summary>
/// Background eigendecompositions (staleness S &gt; 0), the deterministic form of openai/baselines' asynchronous
/// inverse queue and the pattern of Kfac.Core's <c>KfacOptimizer.InverseStaleness</c> (Ba, Grosse &amp; Martens 2017,
/// section 5): a refresh scheduled at update k0 copies the live blocks' factors (A, G and their scalars) into shadow
/// blocks of the same layers and damping, and eigendecomposes the shadows on a background task while updates
/// k0 .. k0 + S - 1 go on preconditioning with the previously installed shadows; at update k0 + S exactly (before its
/// preconditioning) the learner waits for the task if it is not done and installs its shadows. So the inverses used at
/// update k are always those computed from the statistics of update k0 = the last scheduled refresh with k0 + S &lt;= k,
/// whatever the threads' timing. Two sets of shadows alternate (installed, computing); the live blocks only
/// accumulate statistics. A refresh with nothing installed yet (the first, or after a failure) runs on the caller and
/// is installed at once, as the synchronous path would.
/// </summary>
public sealed partial class ActorCriticCurvature
{
    private CurvatureBlock[]? _installed;
    private CurvatureBlock[]? _computing;
    private Task<(bool[] Failed, double Seconds)>? _pending;
    private int _pendingSource, _pendingInstall;
    private Tensor[][]? _warmVectors, _warmResults; // zeros and scratch per block, used by the background task only

    /// <summary>S: updates between a background refresh's statistics and its installation (0: synchronous).</summary>
    public int InverseStaleness { get; }

    /// <summary>The update whose statistics the installed inverses were computed from (-1 before the first;
    /// staleness S &gt; 0 only).</summary>
    public int InverseSourceUpdate { get; private set; } = -1;

    /// <summary>Wall-clock seconds the installed background refreshes took on their thread (not the learner's), and how
    /// many there were: what the learner no longer waits for, unless it had to at k0 + S.</summary>
    public double BackgroundRefreshSeconds { get; private set; }

    /// <summary>Background refreshes installed so far.</summary>
    public int BackgroundRefreshes { get; private set; }

    /// <summary>The update whose statistics a background refresh is decomposing, or null when none is pending.</summary>
    public int? PendingRefreshUpdate => _pending is null ? null : _pendingSource;

    /// <summary>Test hook run at the start of every background refresh (e.g. a sleep), to show that the results do
    /// not depend on how long the background task takes.</summary>
    internal Action? BackgroundRefreshStarting { get; set; }

    /// <summary>The blocks whose inverses precondition: the live blocks (S = 0) or the installed shadows (S &gt; 0;
    /// empty before the first refresh). Index i covers the same parameters as <see cref="Blocks"/>[i].</summary>
    public IReadOnlyList<CurvatureBlock> InverseBlocks =>
        InverseStaleness == 0 ? _blocks : (IReadOnlyList<CurvatureBlock>?)_installed ?? [];

    /// <summary>
    /// Schedules the refresh of update <paramref name="update"/> (S &gt; 0): snapshots the factors and decomposes them
    /// in the background, to be installed by <see cref="InstallDueRefresh"/> at update + S; with nothing installed
    /// yet, decomposes them here and installs them now. Returns false when a block could not be decomposed (its live
    /// statistics are then discarded and the caller skips the step), as <see cref="RefreshInverses"/>.
    /// </summary>
    public bool ScheduleRefresh(double damping, int update)
    {
        if (InverseStaleness == 0) throw new InvalidOperationException("ScheduleRefresh is for inverse staleness S > 0; with S = 0 call RefreshInverses");
        if (_blocks.Count == 0) throw new InvalidOperationException("ScheduleRefresh before any statistics (FoldStatistics discovers the blocks)");
        if (!(damping > 0)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "must be positive");
        DiscardPendingRefresh();
        var shadows = _computing ??= CreateShadows();
        var (zeros, scratch) = (_warmVectors!, _warmResults!);
        for (int b = 0; b < _blocks.Count; b++) Snapshot(_blocks[b], shadows[b]);
        if (!Ready) return Install(RefreshShadows(shadows, damping, zeros, scratch), update);
        var hook = BackgroundRefreshStarting;
        _pending = Task.Run(() =>
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            hook?.Invoke();
            var failed = RefreshShadows(shadows, damping, zeros, scratch);
            return (failed, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        });
        _pendingSource = update;
        _pendingInstall = update + InverseStaleness;
        return true;
    }

    /// <summary>At update <paramref name="update"/>, before preconditioning: installs the pending refresh if it is
    /// due (waiting for it). Returns false when one of its blocks failed (see <see cref="ScheduleRefresh"/>).</summary>
    public bool InstallDueRefresh(int update)
    {
        if (_pending is null || update < _pendingInstall) return true;
        var (failed, seconds) = _pending.GetAwaiter().GetResult();
        _pending = null;
        BackgroundRefreshSeconds += seconds;
        BackgroundRefreshes++;
        return Install(failed, _pendingSource);
    }

    /// <summary>Waits for a pending background refresh and drops it (the schedule keeps one pending at most).</summary>
    private void DiscardPendingRefresh()
    {
        if (_pending is null) return;
        _pending.GetAwaiter().GetResult();
        _pending = null;
    }

    private bool Install(bool[] failed, int source)
    {
        (_installed, _computing) = (_computing, _installed);
        InverseSourceUpdate = source;
        bool ok = true;
        for (int b = 0; b < failed.Length; b++)
        {
            if (!failed[b]) continue;
            _blocks[b].ResetStatistics();
            ok = false;
        }
        return ok;
    }

    private CurvatureBlock[] CreateShadows()
    {
        using var outside = TensorScope.Suspend();
        var shadows = new CurvatureBlock[_blocks.Count];
        for (int b = 0; b < _blocks.Count; b++)
        {
            shadows[b] = _blocks[b] switch
            {
                KroneckerFactoredBlock k => new KroneckerFactoredBlock((DenseTag)k.Tags[0], k.Damping),
                KfcBlock k => new KfcBlock((ConvTag)k.Tags[0], k.Damping),
                var other => throw new NotSupportedException($"{other.Description}: no shadow block for background eigendecompositions"),
            };
            shadows[b].AllocateState();
        }
        _warmVectors ??= _parameters.Select(ps => ps.Select(Tensor.ZerosLike).ToArray()).ToArray();
        _warmResults ??= _parameters.Select(ps => ps.Select(Tensor.ZerosLike).ToArray()).ToArray();
        return shadows;
    }

    /// <summary>The shadow gets the live block's factors and scalars (update count, pi; no inverse yet).</summary>
    private static void Snapshot(CurvatureBlock live, CurvatureBlock shadow)
    {
        using (var src = live.StatisticsTensors().GetEnumerator())
        using (var dst = shadow.StatisticsTensors().GetEnumerator())
            while (src.MoveNext() && dst.MoveNext()) src.Current.Backend.Copy(src.Current, dst.Current);
        var scalars = new Dictionary<string, double>();
        foreach (var (name, value) in live.StateScalars()) scalars[name] = value;
        scalars["inverse_damping"] = double.NaN;
        shadow.LoadStateScalars(scalars);
    }

    /// <summary>Eigendecomposes every shadow (eigenbasis damping adds gamma^2 = damping to the eigenvalue products)
    /// and applies its inverse once to zeros, so that the table (lambda_G lambda_A^T + damping)^-1 the products use is
    /// built here, off the learner's thread, rather than at the first preconditioning; returns which failed.</summary>
    private static bool[] RefreshShadows(CurvatureBlock[] shadows, double damping, Tensor[][] zeros, Tensor[][] scratch)
    {
        var failed = new bool[shadows.Length];
        for (int b = 0; b < shadows.Length; b++)
        {
            try
            {
                shadows[b].RefreshInverse(Math.Sqrt(damping));
                using var scope = TensorScope.Begin();
                shadows[b].MultiplyByDampedPower(zeros[b], scratch[b], -1);
            }
            catch (Kfac.Linalg.LinalgException)
            {
                failed[b] = true;
            }
        }
        return failed;
    }
}
