using System.Diagnostics;
using Kfac.Curvature;
using Kfac.Distributed;
using Kfac.Linalg;
using Kfac.Tensors;

namespace Kfac.Optim.Kfac;

/// <summary>
/// Asynchronous inverses (<see cref="KfacOptions.InverseStaleness"/>): a refresh that the step's plan sends to the
/// background (<see cref="InverseRefresh.Background"/>: a scheduled one after the first, not a repair) at step k0 copies the
/// statistics of the blocks this rank computes into shadow blocks (same layer, same damping style) and refreshes the
/// shadows on a background task; the live blocks keep their inverses until the start of step k0 + S, when the shadows'
/// inverse buffers and scalars are copied in (<see cref="KfacStepPlan.InstallBackgroundRefresh"/>; distributed with
/// broadcast inverses, broadcast by their owners).
/// Blocks whose inverse is not in buffers, or whose refresh is not thread-safe, refresh synchronously at k0. Any
/// synchronous refresh in between (a gamma trial, a rejection) waits for the task and discards its result, since its
/// own inverses are newer.
/// </summary>
public sealed partial class KfacOptimizer
{
    private CurvatureBlock?[]? _shadows;
    private Task<List<(int Block, LinalgException Error)>>? _pendingRefresh;
    private int _pendingRefreshStep;   // k0: the step whose statistics the pending refresh uses
    private int _pendingInstallStep;   // k0 + S
    private int _currentStep;          // k of the step in progress

    /// <summary>The step whose statistics the inverses in use were computed from (0 before the first refresh).</summary>
    public int InverseSourceStep { get; private set; }

    /// <summary>The step whose statistics a background refresh is computing from, or null when none is pending.</summary>
    public int? PendingRefreshStep => _pendingRefresh is null ? null : _pendingRefreshStep;

    /// <summary>Largest k - <see cref="InverseSourceStep"/> seen at the preconditioning of any step so far.</summary>
    public int MaxInverseAge { get; private set; }

    private static bool RefreshesInBackground(CurvatureBlock block) =>
        block.RefreshIsThreadSafe && block.Parameters.All(p => p.Device.Kind == DeviceKind.Cpu);

    /// <summary>
    /// Starts the refresh of step <paramref name="k"/>: the blocks whose inverse lies in buffers get it computed into
    /// their shadows (on a background task when their refresh is thread-safe, else here, into the shadow all the same,
    /// so that every such block changes at k0 + S on every rank); the others are refreshed now, in place (they are
    /// computed on every rank alike).
    /// </summary>
    private void LaunchRefresh(double gamma, int k)
    {
        long t0 = Stopwatch.GetTimestamp();
        DiscardPendingRefresh();
        var blocks = _blocks!;
        if (IsDistributed)
        {
            ReduceLazyStatistics();
            EnsureInverseAssignment();
        }
        _shadows ??= new CurvatureBlock?[blocks.Count];
        var background = new List<(int, CurvatureBlock)>();
        var failed = new List<(int Block, LinalgException Error)>();
        var inPlace = new List<CurvatureBlock>();
        for (int b = 0; b < blocks.Count; b++)
        {
            if (!ComputesHere(b)) continue;
            if (!blocks[b].InverseIsBroadcastable)
            {
                inPlace.Add(blocks[b]);
                continue;
            }
            var shadow = _shadows[b] ??= CreateShadow(blocks[b]);
            foreach (var (src, dst) in blocks[b].StatisticsTensors().Zip(shadow.StatisticsTensors())) src.Backend.Copy(src, dst);
            shadow.LoadStateScalars(blocks[b].StateScalars().ToDictionary(s => s.Name, s => s.Value));
            if (RefreshesInBackground(shadow)) background.Add((b, shadow));
            else if (ConcurrentInverseRefresh.TryRefresh(shadow, gamma) is { } e) failed.Add((b, e));
        }
        if (inPlace.Count > 0)
        {
            var failures = ConcurrentInverseRefresh.RefreshAll(inPlace, gamma);
            if (failures is not null)
            {
                // Computed on every rank alike, so every rank fails alike (and rejects the step).
                foreach (var (block, _) in failures) block.ResetStatistics();
                _inversesStale = true;
                Timings.Add(KfacPhase.Inverses, t0);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0].Error);
            }
        }
        var work = background.ToArray();
        _pendingRefresh = Task.Run(() =>
        {
            foreach (var (b, shadow) in work)
                if (ConcurrentInverseRefresh.TryRefresh(shadow, gamma) is { } e) failed.Add((b, e));
            return failed;
        });
        _pendingRefreshStep = k;
        _pendingInstallStep = k + Options.InverseStaleness;
        Timings.Add(KfacPhase.Inverses, t0);
    }

    /// <summary>A block of the same layer and damping style with its state allocated, to refresh in the background.</summary>
    private static CurvatureBlock CreateShadow(CurvatureBlock block)
    {
        var shadow = block.Tags[0].CreateBlock(block switch
        {
            KroneckerBlock k => k.Damping,
            _ => DampingStyle.FactoredTikhonov,
        });
        if (shadow.Tags.Count != block.Tags.Count || shadow.GetType() != block.GetType())
            throw new NotSupportedException($"{block.Description}: cannot build a shadow block for asynchronous inverses");
        using var outside = TensorScope.Suspend();
        shadow.AllocateState();
        return shadow;
    }

    /// <summary>At the start of step k0 + S, when the plan says so: installs the pending refresh (waiting for it).
    /// A failed block (agreed on by every rank) has its statistics reset and the LinalgException rejects the step, as
    /// after a failed synchronous refresh.</summary>
    private void InstallBackgroundRefresh()
    {
        if (_pendingRefresh is null) throw new InvalidOperationException($"step {_currentStep}'s plan installs a background refresh but none is pending");
        long t0 = Stopwatch.GetTimestamp();
        var failedHere = _pendingRefresh.GetAwaiter().GetResult();
        _pendingRefresh = null;
        var blocks = _blocks!;
        var failed = new int[blocks.Count];
        foreach (var (b, _) in failedHere) failed[b] = 1;
        for (int b = 0; b < blocks.Count; b++)
        {
            if (_shadows![b] is not { } shadow || failed[b] != 0 || !ComputesHere(b) || !blocks[b].InverseIsBroadcastable) continue;
            blocks[b].StateReplaced();
            foreach (var (src, dst) in shadow.InverseBuffers.Zip(blocks[b].InverseBuffers)) src.Backend.Copy(src, dst);
            var scalars = shadow.StateScalars().ToDictionary(s => s.Name, s => s.Value);
            // The live block's statistics went on being updated meanwhile: only the inverse's scalars are the shadow's.
            scalars["update_count"] = blocks[b].UpdateCount;
            blocks[b].LoadStateScalars(scalars);
        }
        if (IsDistributed)
        {
            _communicator!.AllReduce<int>(failed, ReduceOperation.Max);
            if (_distributedOptions.Inverses == InversePlacement.BroadcastInverses) BroadcastOwnedInverses();
        }
        InverseSourceStep = _pendingRefreshStep;
        Timings.Add(KfacPhase.Inverses, t0);
        int first = Array.IndexOf(failed, 1);
        if (first < 0) return;
        for (int b = 0; b < blocks.Count; b++) if (failed[b] != 0) blocks[b].ResetStatistics();
        _inversesStale = true;
        var error = failedHere.FirstOrDefault(f => f.Block == first).Error
            ?? new RemoteInverseException($"{blocks[first].Description}: its asynchronous inverse failed on rank {_inverseOwners![first]}");
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>Waits for a pending background refresh and drops its result (a synchronous refresh supersedes it).</summary>
    private void DiscardPendingRefresh()
    {
        if (_pendingRefresh is null) return;
        try
        {
            _pendingRefresh.Wait();
        }
        catch (AggregateException)
        {
            // Its failures do not matter: its result is discarded.
        }
        _pendingRefresh = null;
    }

    /// <summary>Records the age of the inverses used at step <paramref name="k"/>'s preconditioning.</summary>
    private void TrackInverseAge(int k) => MaxInverseAge = Math.Max(MaxInverseAge, k - InverseSourceStep);
}
