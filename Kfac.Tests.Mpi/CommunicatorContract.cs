using System.Diagnostics;
using Kfac.Distributed;
using Kfac.Tensors;
using static Kfac.Tests.Mpi.ContractViolation;

namespace Kfac.Tests.Mpi;

/// <summary>
/// The behaviour every <see cref="ICommunicator"/> must have, written once: Kfac.Tests runs each check on the
/// single-process communicator in-process, and on Open MPI and MPICH through this program under mpirun. Each
/// check is collective (every rank runs the same checks in the same order) and compares against values every
/// rank can compute on its own: each rank's contribution is a known function of its rank, so the expected
/// reduction is computed locally in a fixed order. Where the inputs are chosen so that every summation order
/// gives the same bits (small integers, dyadic fractions), results must match exactly; for random inputs the
/// tolerance is stated in the check.
/// </summary>
public static class CommunicatorContract
{
    public static IReadOnlyList<(string Name, Action<ICommunicator> Check)> Checks { get; } =
    [
        ("RanksAreDistinctAndCoverZeroToSize", RanksAreDistinctAndCoverZeroToSize),
        ("AllReduceSumFloatIsExactOnIntegers", c => SumOfIntegers<float>(c, [0, 1, 7, 1000, 300_001])),
        ("AllReduceSumDoubleIsExactOnDyadics", AllReduceSumDoubleIsExactOnDyadics),
        ("AllReduceSumOfRandomFloatsIsBitIdenticalOnEveryRank", AllReduceSumOfRandomFloatsIsBitIdenticalOnEveryRank),
        ("AllReduceMaxAndMinOverIntsAndLongs", AllReduceMaxAndMinOverIntsAndLongs),
        ("AllReduceMeanDividesBySize", AllReduceMeanDividesBySize),
        ("BroadcastFromEveryRoot", BroadcastFromEveryRoot),
        ("TensorSumMeanAndBroadcast", TensorSumMeanAndBroadcast),
        ("AllGatherConcatenatesInRankOrder", AllGatherConcatenatesInRankOrder),
        ("BarrierWaitsForTheSlowestRank", BarrierWaitsForTheSlowestRank),
        ("BadArgumentsThrowBeforeCommunicating", BadArgumentsThrowBeforeCommunicating),
    ];

    /// <summary>Runs every check; returns how many passed (all, or it throws).</summary>
    public static int RunAll(ICommunicator c)
    {
        foreach (var (name, check) in Checks)
        {
            try
            {
                check(c);
            }
            catch (Exception e)
            {
                throw new ContractViolation($"{name} failed on rank {c.Rank} of {c.Size} ({c.Description}): {e.Message}");
            }
        }
        return Checks.Count;
    }

    private static void RanksAreDistinctAndCoverZeroToSize(ICommunicator c)
    {
        Require(c.Size >= 1 && c.Rank >= 0 && c.Rank < c.Size, $"rank {c.Rank} is outside 0 .. size - 1 = {c.Size - 1}");
        int[] ranks = c.AllGather<int>([c.Rank]);
        for (int r = 0; r < c.Size; r++) Require(ranks[r] == r, $"all-gather of ranks gave [{string.Join(", ", ranks)}]");
    }

    // data_r[i] = (r + 1) (i % 97 + 1): small integers, exact in float in any order; sum = P(P+1)/2 (i % 97 + 1).
    private static void SumOfIntegers<T>(ICommunicator c, int[] lengths) where T : unmanaged, System.Numerics.INumber<T>
    {
        foreach (int n in lengths)
        {
            var data = new T[n];
            for (int i = 0; i < n; i++) data[i] = T.CreateChecked((c.Rank + 1) * (i % 97 + 1));
            c.AllReduceSum<T>(data);
            long ranks = (long)c.Size * (c.Size + 1) / 2;
            for (int i = 0; i < n; i++)
                Require(data[i] == T.CreateChecked(ranks * (i % 97 + 1)), $"length {n}: element {i} is {data[i]}, expected {ranks * (i % 97 + 1)}");
        }
    }

    // data_r[i] = (r + 1) 2^-(i % 20): every partial sum is exact in double.
    private static void AllReduceSumDoubleIsExactOnDyadics(ICommunicator c)
    {
        const int n = 4099;
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = (c.Rank + 1) * Math.ScaleB(1, -(i % 20));
        c.AllReduceSum<double>(data);
        double ranks = c.Size * (c.Size + 1) / 2.0;
        for (int i = 0; i < n; i++)
            Require(data[i] == ranks * Math.ScaleB(1, -(i % 20)), $"element {i} is {data[i]:R}, expected {ranks * Math.ScaleB(1, -(i % 20)):R}");
    }

    // Random floats: the result must be the same bits on every rank (data-parallel replicas rely on it) and
    // within P * 2^-24 * sum_r |x_r| of the exact sum (any summation order's rounding bound).
    private static void AllReduceSumOfRandomFloatsIsBitIdenticalOnEveryRank(ICommunicator c)
    {
        const int n = 65_537;
        var data = RandomFloats(c.Rank, n);
        c.AllReduceSum<float>(data);
        var exact = new double[n];
        var magnitude = new double[n];
        for (int r = 0; r < c.Size; r++)
        {
            var x = RandomFloats(r, n);
            for (int i = 0; i < n; i++) { exact[i] += x[i]; magnitude[i] += Math.Abs(x[i]); }
        }
        for (int i = 0; i < n; i++)
            Require(Math.Abs(data[i] - exact[i]) <= c.Size * Math.ScaleB(1, -24) * magnitude[i] + 1e-30,
                $"element {i} is {data[i]:R}, exact sum {exact[i]:R}");
        var mine = new[] { Hash(data) };
        var all = c.AllGather<ulong>(mine);
        for (int r = 0; r < c.Size; r++) Require(all[r] == mine[0], $"rank {r}'s result differs from rank {c.Rank}'s (hashes {all[r]:x} and {mine[0]:x})");
    }

    private static void AllReduceMaxAndMinOverIntsAndLongs(ICommunicator c)
    {
        int[] ints = [c.Rank * 10, -c.Rank, c.Rank == 1 ? int.MaxValue : 0];
        c.AllReduce<int>(ints, ReduceOperation.Max);
        Require(ints[0] == (c.Size - 1) * 10 && ints[1] == 0 && ints[2] == (c.Size > 1 ? int.MaxValue : 0), $"int max gave [{string.Join(", ", ints)}]");
        long[] longs = [c.Rank + (1L << 40), -c.Rank * (1L << 33)];
        c.AllReduce<long>(longs, ReduceOperation.Min);
        Require(longs[0] == 1L << 40 && longs[1] == -(c.Size - 1) * (1L << 33), $"long min gave [{string.Join(", ", longs)}]");
        double[] doubles = [c.Rank + 0.5, -c.Rank - 0.25];
        c.AllReduce<double>(doubles, ReduceOperation.Max);
        Require(doubles[0] == c.Size - 0.5 && doubles[1] == -0.25, $"double max gave [{string.Join(", ", doubles)}]");
        float[] floats = [c.Rank + 0.5f];
        c.AllReduce<float>(floats, ReduceOperation.Min);
        Require(floats[0] == 0.5f, $"float min gave {floats[0]}");
    }

    private static void AllReduceMeanDividesBySize(ICommunicator c)
    {
        var f = new float[33];
        var d = new double[33];
        for (int i = 0; i < 33; i++) { f[i] = c.Rank * 4 + i; d[i] = c.Rank * 4 + i; }
        c.AllReduceMean(f);
        c.AllReduceMean(d);
        double meanRank = (c.Size - 1) / 2.0;
        for (int i = 0; i < 33; i++)
        {
            double expected = meanRank * 4 + i;
            Require(f[i] == (float)((c.Size * (c.Size - 1) / 2 * 4 + (double)c.Size * i) / c.Size), $"float mean {i} is {f[i]}, expected {expected}");
            Require(d[i] == expected, $"double mean {i} is {d[i]:R}, expected {expected:R}");
        }
        Require(c.AllReduce(c.Rank, ReduceOperation.Sum) == c.Size * (c.Size - 1) / 2.0, "scalar sum of ranks is wrong");
    }

    private static void BroadcastFromEveryRoot(ICommunicator c)
    {
        for (int root = 0; root < c.Size; root++)
        {
            var f = new float[1001];
            var d = new double[17];
            var b = new byte[3];
            if (c.Rank == root)
            {
                for (int i = 0; i < f.Length; i++) f[i] = root * 1000 + i + 0.25f;
                for (int i = 0; i < d.Length; i++) d[i] = Math.PI * (root + i);
                b = [(byte)root, 42, 255];
            }
            else
            {
                Array.Fill(f, float.NaN);
                Array.Fill(d, -1);
            }
            c.Broadcast<float>(f, root);
            c.Broadcast<double>(d, root);
            c.Broadcast<byte>(b, root);
            for (int i = 0; i < f.Length; i++) Require(f[i] == root * 1000 + i + 0.25f, $"root {root}: float {i} is {f[i]}");
            for (int i = 0; i < d.Length; i++) Require(d[i] == Math.PI * (root + i), $"root {root}: double {i} is {d[i]:R}");
            Require(b[0] == root && b[1] == 42 && b[2] == 255, $"root {root}: bytes are [{string.Join(", ", b)}]");
        }
        c.Broadcast<float>([], root: 0); // an empty broadcast is legal and returns
    }

    private static void TensorSumMeanAndBroadcast(ICommunicator c)
    {
        using var scope = TensorScope.Begin();
        var values = new float[12];
        for (int i = 0; i < 12; i++) values[i] = (c.Rank + 1) * i;
        var t = Tensor.FromArray(values, new Shape(3, 4));
        c.AllReduceSum(t);
        var sum = t.ToArray<float>();
        float ranks = c.Size * (c.Size + 1) / 2f;
        for (int i = 0; i < 12; i++) Require(sum[i] == ranks * i, $"tensor sum {i} is {sum[i]}");
        var u = Tensor.FromArray(values.Select(v => (double)v).ToArray(), new Shape(12));
        c.AllReduceMean(u);
        var mean = u.ToArray<double>();
        for (int i = 0; i < 12; i++) Require(mean[i] == (c.Size + 1) / 2.0 * i, $"tensor mean {i} is {mean[i]:R}");
        var w = Tensor.FromArray(new float[] { c.Rank, c.Rank + 1 }, new Shape(2));
        c.Broadcast(w, root: c.Size - 1);
        var got = w.ToArray<float>();
        Require(got[0] == c.Size - 1 && got[1] == c.Size, $"tensor broadcast gave [{got[0]}, {got[1]}]");
    }

    private static void AllGatherConcatenatesInRankOrder(ICommunicator c)
    {
        long[] mine = [c.Rank, (long)c.Rank * c.Rank, -c.Rank - (1L << 35)];
        var all = c.AllGather<long>(mine);
        Require(all.Length == 3 * c.Size, $"all-gather returned {all.Length} elements for size {c.Size}");
        for (int r = 0; r < c.Size; r++)
            Require(all[3 * r] == r && all[3 * r + 1] == (long)r * r && all[3 * r + 2] == -r - (1L << 35), $"rank {r}'s block is [{all[3 * r]}, {all[3 * r + 1]}, {all[3 * r + 2]}]");
        var doubles = c.AllGather<double>([c.Rank / 3.0]);
        for (int r = 0; r < c.Size; r++) Require(doubles[r] == r / 3.0, $"double all-gather at {r} is {doubles[r]:R}");
    }

    // Rank 0 arrives 300 ms late; no rank may leave the barrier before it arrived.
    private static void BarrierWaitsForTheSlowestRank(ICommunicator c)
    {
        c.Barrier();
        var clock = Stopwatch.StartNew();
        if (c.Rank == 0) Thread.Sleep(300);
        c.Barrier();
        double waited = clock.Elapsed.TotalMilliseconds;
        Require(waited >= 250, $"left the barrier after {waited:F0} ms; rank 0 arrived only after 300 ms");
    }

    private static void BadArgumentsThrowBeforeCommunicating(ICommunicator c)
    {
        Throws<ArgumentException>(() => c.AllGather<int>([1, 2], new int[2 * c.Size + 1]), "receive");
        Throws<ArgumentOutOfRangeException>(() => c.Broadcast<float>(new float[3], root: c.Size), "root");
        Throws<ArgumentOutOfRangeException>(() => c.Broadcast<float>(new float[3], root: -1), "root");
        Throws<NotSupportedException>(() => c.AllReduce<short>(new short[3], ReduceOperation.Sum), "Int16");
        Throws<ArgumentOutOfRangeException>(() => c.AllReduce<float>(new float[3], (ReduceOperation)99), "operation");
        // Still in step after the failures: a collective completes.
        Require(c.AllReduce(1, ReduceOperation.Sum) == c.Size, "the ranks fell out of step after argument errors");
    }

    private static void Throws<TException>(Action action, string mentions) where TException : Exception
    {
        try
        {
            action();
        }
        catch (TException e)
        {
            Require(e.Message.Contains(mentions, StringComparison.OrdinalIgnoreCase), $"{typeof(TException).Name} '{e.Message}' does not mention '{mentions}'");
            return;
        }
        throw new ContractViolation($"expected {typeof(TException).Name} mentioning '{mentions}'");
    }

    private static float[] RandomFloats(int rank, int n)
    {
        var rng = new Random(1234 + rank);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * MathF.Pow(2, rng.Next(-8, 8));
        return x;
    }

    private static ulong Hash<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        ulong h = 14695981039346656037UL; // FNV-1a over the bytes
        foreach (byte b in System.Runtime.InteropServices.MemoryMarshal.AsBytes(data)) h = (h ^ b) * 1099511628211UL;
        return h;
    }

    /// <summary>FNV-1a of the bytes of <paramref name="tensors"/> (weights' bit-identity across ranks).</summary>
    public static ulong HashOf(IEnumerable<Tensor> tensors)
    {
        ulong h = 14695981039346656037UL;
        foreach (var t in tensors)
        {
            ulong ht = t.DType == DType.Float32 ? Hash<float>(t.ToArray<float>()) : Hash<double>(t.ToArray<double>());
            h = (h ^ ht) * 1099511628211UL;
        }
        return h;
    }
}
