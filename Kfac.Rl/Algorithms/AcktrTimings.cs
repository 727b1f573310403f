using System.Diagnostics;

namespace Kfac.Rl.Algorithms;

/// <summary>Cumulative wall-clock seconds per phase of ACKTR's updates (where the time over A2C goes), on the
/// learner's thread: a background eigendecomposition counts only where the learner waits for it
/// (<see cref="AcktrPhase.InverseWait"/>). Also the managed bytes each phase allocated on the learner's thread
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), so a per-update allocation in a phase shows.</summary>
public sealed class AcktrTimings
{
    private readonly double[] _seconds = new double[Enum.GetValues<AcktrPhase>().Length];
    private readonly long[] _bytes = new long[Enum.GetValues<AcktrPhase>().Length];
    private long _bytesMark;

    /// <summary>Seconds spent in <paramref name="phase"/> so far.</summary>
    public double this[AcktrPhase phase] => _seconds[(int)phase];

    /// <summary>Managed bytes allocated on the learner's thread in <paramref name="phase"/> so far.</summary>
    public long AllocatedBytes(AcktrPhase phase) => _bytes[(int)phase];

    /// <summary>Seconds over all phases.</summary>
    public double Total => _seconds.Sum();

    /// <summary>Sets every phase back to 0.</summary>
    public void Reset()
    {
        Array.Clear(_seconds);
        Array.Clear(_bytes);
    }

    /// <summary>Every phase with its seconds, in enum order.</summary>
    public IEnumerable<(AcktrPhase Phase, double Seconds)> All() => Enum.GetValues<AcktrPhase>().Select(p => (p, _seconds[(int)p]));

    /// <summary>Adds the time since <paramref name="startTimestamp"/> to <paramref name="phase"/> and returns now,
    /// so consecutive phases chain: <c>t = Add(phase, t)</c>.</summary>
    internal long Add(AcktrPhase phase, long startTimestamp)
    {
        long now = Stopwatch.GetTimestamp();
        _seconds[(int)phase] += Stopwatch.GetElapsedTime(startTimestamp, now).TotalSeconds;
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        _bytes[(int)phase] += bytes - _bytesMark;
        _bytesMark = bytes;
        return now;
    }

    /// <summary>The first timestamp of an update's chain (and the mark its first phase's bytes count from).</summary>
    internal long Start()
    {
        _bytesMark = GC.GetAllocatedBytesForCurrentThread();
        return Stopwatch.GetTimestamp();
    }
}

/// <summary>The phases of an ACKTR update that <see cref="AcktrTimings"/> times.</summary>
public enum AcktrPhase
{
    /// <summary>Advantages (GAE) and the forward pass with the recorder active.</summary>
    Forward,
    /// <summary>The Fisher loss's backward pass (sampled actions and Gaussian value targets).</summary>
    FisherBackward,
    /// <summary>Folding the captures into the factors' moving averages (covariance products).</summary>
    Statistics,
    /// <summary>The training loss's backward pass.</summary>
    Backward,
    /// <summary>Synchronous eigendecompositions, or copying the factors for a background one.</summary>
    Inverses,
    /// <summary>Waiting for a background eigendecomposition that is due (staleness S &gt; 0).</summary>
    InverseWait,
    /// <summary>The eigenbasis products Delta = (F + damping)^-1 g and g^T Delta.</summary>
    Precondition,
    /// <summary>Trust-region scale, momentum step (and cold updates' clipping).</summary>
    Update,
}
