using System.Diagnostics;
using Kfac.Tensors;

namespace Kfac.Distributed;

/// <summary>
/// Sums the parameters' gradients over ranks, in buckets (PyTorch DDP's design, Li et al. 2020, "PyTorch
/// Distributed: Experiences on Accelerating Data Parallel Training"): the gradients are packed into a few
/// host buffers of at most <see cref="BucketBytes"/> each (parameters in reverse order, the order in which
/// backward finishes them; one dtype per bucket), each buffer is all-reduced in one call, and the results are
/// unpacked. Few large messages instead of one per parameter: latency is paid per bucket, not per tensor.
/// <para>Each rank's gradients are scaled while packing, so a rank whose loss is the mean over n_r of the
/// batch's B examples passes scale n_r / B and every rank ends with the gradient of the batch mean:
/// sum_r (n_r / B) grad_r. All buffers are allocated once; a reduction allocates nothing.</para>
/// <para>Not overlapped with the backward pass: on the CPU the reduction of a bucket would compete with the
/// backward GEMMs for the same cores, and MPI progresses a non-blocking collective only inside MPI calls.</para>
/// </summary>
public sealed class GradientAllReducer
{
    /// <summary>PyTorch DDP's default bucket size, 25 MiB.</summary>
    public const int DefaultBucketBytes = 25 << 20;

    private readonly ICommunicator _communicator;
    private readonly Bucket[] _buckets;

    /// <summary>Buckets the gradients of <paramref name="parameters"/> (reverse order, at most <paramref name="bucketBytes"/> per bucket, one dtype per bucket) for all-reduce over <paramref name="communicator"/>.</summary>
    public GradientAllReducer(ICommunicator communicator, IEnumerable<Tensor> parameters, int bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        _communicator = communicator;
        BucketBytes = bucketBytes;
        var ps = parameters.ToArray();
        if (ps.Length == 0) throw new ArgumentException("there are no parameters to reduce", nameof(parameters));
        for (int i = 0; i < ps.Length; i++)
            if (ps[i] is null) throw new ArgumentNullException(nameof(parameters), $"parameter {i} is null");
        Parameters = ps;
        var buckets = new List<Bucket>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var members = new List<int>();
            long bytes = 0;
            for (int i = ps.Length - 1; i >= 0; i--)
            {
                if (ps[i].DType != dtype) continue;
                long size = (long)ps[i].Numel * dtype.SizeInBytes();
                if (members.Count > 0 && bytes + size > bucketBytes)
                {
                    buckets.Add(Bucket.Create(ps, members, dtype));
                    members.Clear();
                    bytes = 0;
                }
                members.Add(i);
                bytes += size;
            }
            if (members.Count > 0) buckets.Add(Bucket.Create(ps, members, dtype));
        }
        _buckets = [.. buckets];
    }

    /// <summary>The parameters whose gradients are reduced.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Maximum bytes of one bucket (one all-reduce message); default <see cref="DefaultBucketBytes"/>.</summary>
    public int BucketBytes { get; }

    /// <summary>Number of all-reduce calls per reduction.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>The parameter indices of each bucket, in packing order.</summary>
    public IReadOnlyList<IReadOnlyList<int>> BucketMembers => _buckets.Select(b => (IReadOnlyList<int>)b.Members).ToArray();

    /// <summary>Seconds spent inside the all-reduce calls by the last <see cref="AllReduce"/>.</summary>
    public double LastCommunicationSeconds { get; private set; }

    /// <summary>Seconds spent inside all-reduce calls since construction.</summary>
    public double TotalCommunicationSeconds { get; private set; }

    /// <summary>Seconds spent packing and unpacking since construction.</summary>
    public double TotalPackingSeconds { get; private set; }

    /// <summary>Replaces every parameter's gradient by sum over ranks of scale_r * grad_r. Every parameter
    /// must have a gradient (a parameter without one on some rank would leave the ranks disagreeing).</summary>
    public void AllReduce(double scale)
    {
        if (!double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "the gradient scale must be finite");
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i].Grad is null)
                throw new InvalidOperationException($"parameter {i} ({Parameters[i]}) has no gradient; data-parallel training needs every parameter's gradient on every rank (run backward through a loss that uses all parameters)");
        long communication = 0, packing = 0;
        foreach (var bucket in _buckets)
        {
            long t0 = Stopwatch.GetTimestamp();
            bucket.Pack(Parameters, scale);
            long t1 = Stopwatch.GetTimestamp();
            bucket.Reduce(_communicator);
            long t2 = Stopwatch.GetTimestamp();
            bucket.Unpack(Parameters);
            long t3 = Stopwatch.GetTimestamp();
            communication += t2 - t1;
            packing += (t1 - t0) + (t3 - t2);
        }
        LastCommunicationSeconds = (double)communication / Stopwatch.Frequency;
        TotalCommunicationSeconds += LastCommunicationSeconds;
        TotalPackingSeconds += (double)packing / Stopwatch.Frequency;
    }

    private abstract class Bucket(int[] members, int[] offsets)
    {
        public int[] Members { get; } = members;

        protected int[] Offsets { get; } = offsets;

        public static Bucket Create(Tensor[] parameters, List<int> members, DType dtype)
        {
            var offsets = new int[members.Count + 1];
            for (int k = 0; k < members.Count; k++)
                offsets[k + 1] = checked(offsets[k] + parameters[members[k]].Numel);
            return dtype == DType.Float32
                ? new Bucket<float>([.. members], offsets, new float[offsets[^1]])
                : new Bucket<double>([.. members], offsets, new double[offsets[^1]]);
        }

        public abstract void Pack(IReadOnlyList<Tensor> parameters, double scale);

        public abstract void Reduce(ICommunicator communicator);

        public abstract void Unpack(IReadOnlyList<Tensor> parameters);
    }

    private sealed class Bucket<T>(int[] members, int[] offsets, T[] buffer) : Bucket(members, offsets)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        public override void Pack(IReadOnlyList<Tensor> parameters, double scale)
        {
            for (int k = 0; k < Members.Length; k++)
            {
                var grad = parameters[Members[k]].Grad!;
                var slice = buffer.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]);
                grad.Backend.Download<T>(grad.Storage, 0, slice);
            }
            if (scale != 1)
            {
                T s = T.CreateTruncating(scale);
                System.Numerics.Tensors.TensorPrimitives.Multiply(buffer, s, buffer);
            }
        }

        public override void Reduce(ICommunicator communicator) => communicator.AllReduce<T>(buffer, ReduceOperation.Sum);

        public override void Unpack(IReadOnlyList<Tensor> parameters)
        {
            for (int k = 0; k < Members.Length; k++)
            {
                var grad = parameters[Members[k]].Grad!;
                grad.Backend.Upload<T>(buffer.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]), grad.Storage, 0);
            }
        }
    }
}
