using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Kfac.Tensors;

namespace Kfac.Distributed;

/// <summary>
/// A fixed list of float32/float64 tensors moved between ranks as one message per dtype: packed into a host buffer
/// (allocated once), reduced or broadcast, unpacked. Distributed K-FAC uses it for the factor statistics (one
/// all-reduce per statistics step, or per refresh when lazy) and for the inverses or preconditioned gradients a
/// rank owns (one broadcast per owner). Every rank must build it from tensors of the same shapes in the same order.
/// </summary>
public sealed class PackedTensors
{
    private readonly Tensor[] _tensors;
    private readonly Part[] _parts;

    /// <summary>Packs <paramref name="tensors"/> (float32 or float64 only, else <see cref="ArgumentException"/>) into one host buffer per dtype.</summary>
    public PackedTensors(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = tensors.ToArray();
        for (int i = 0; i < _tensors.Length; i++)
            if (_tensors[i].DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"tensor {i} ({_tensors[i].Shape}) is {_tensors[i].DType}; only float32 and float64 tensors can be packed", nameof(tensors));
        _parts = new[] { DType.Float32, DType.Float64 }
            .Select(d => Part.Create(_tensors, d)).Where(p => p is not null).Select(p => p!).ToArray();
    }

    /// <summary>The packed tensors, in the order given.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <summary>Total elements (the message size in elements).</summary>
    public long Elements => _tensors.Sum(t => (long)t.Numel);

    /// <summary>Every tensor becomes sum over ranks of <paramref name="scale"/>_r * tensor_r (one all-reduce per dtype).</summary>
    public void AllReduceSum(ICommunicator communicator, double scale)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (!double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be finite");
        foreach (var p in _parts) p.AllReduce(_tensors, communicator, scale);
    }

    /// <summary>Every rank's tensors become rank <paramref name="root"/>'s (one broadcast per dtype).</summary>
    public void Broadcast(ICommunicator communicator, int root)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        foreach (var p in _parts) p.Broadcast(_tensors, communicator, root);
    }

    private abstract class Part(int[] members, int[] offsets)
    {
        protected int[] Members { get; } = members;

        protected int[] Offsets { get; } = offsets;

        public static Part? Create(Tensor[] tensors, DType dtype)
        {
            var members = Enumerable.Range(0, tensors.Length).Where(i => tensors[i].DType == dtype).ToArray();
            if (members.Length == 0) return null;
            var offsets = new int[members.Length + 1];
            for (int k = 0; k < members.Length; k++) offsets[k + 1] = checked(offsets[k] + tensors[members[k]].Numel);
            return dtype == DType.Float32
                ? new Part<float>(members, offsets, new float[offsets[^1]])
                : new Part<double>(members, offsets, new double[offsets[^1]]);
        }

        public abstract void AllReduce(Tensor[] tensors, ICommunicator communicator, double scale);

        public abstract void Broadcast(Tensor[] tensors, ICommunicator communicator, int root);
    }

    private sealed class Part<T>(int[] members, int[] offsets, T[] buffer) : Part(members, offsets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public override void AllReduce(Tensor[] tensors, ICommunicator communicator, double scale)
        {
            Pack(tensors);
            if (scale != 1) TensorPrimitives.Multiply(buffer, T.CreateTruncating(scale), buffer);
            communicator.AllReduce<T>(buffer, ReduceOperation.Sum);
            Unpack(tensors);
        }

        public override void Broadcast(Tensor[] tensors, ICommunicator communicator, int root)
        {
            if (communicator.Rank == root) Pack(tensors);
            communicator.Broadcast<T>(buffer, root);
            if (communicator.Rank != root) Unpack(tensors);
        }

        private void Pack(Tensor[] tensors)
        {
            for (int k = 0; k < Members.Length; k++)
            {
                var t = tensors[Members[k]];
                t.Backend.Download<T>(t.Storage, 0, buffer.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]));
            }
        }

        private void Unpack(Tensor[] tensors)
        {
            for (int k = 0; k < Members.Length; k++)
            {
                var t = tensors[Members[k]];
                t.Backend.Upload<T>(buffer.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]), t.Storage, 0);
            }
        }
    }
}
