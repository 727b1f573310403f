using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Kfac.Tensors;

namespace Kfac.Distributed;

/// <summary>
/// A fixed list of float32/float64 tensors moved between ranks as one message per dtype: packed into a host buffer
/// (allocated once), reduced or broadcast, unpacked. Distributed K-FAC uses it for the factor statistics (one
/// all-reduce per statistics step, or per refresh when lazy) and for the inverses or preconditioned gradients a
/// rank owns (one broadcast per owner). Every rank must build it from tensors of the same shapes in the same order.
/// A member declared a lower triangle is a symmetric n x n matrix of which only the n(n+1)/2 elements on and below
/// the diagonal travel (kfac-pytorch's "symmetry-aware" communication: K-FAC's factors, half the message); on the
/// receiving side (and on a broadcast's root) the lower triangle is written and mirrored
/// (<see cref="IBackend.MirrorLower"/>), so the tensor is whole and symmetric afterwards, whatever its strictly upper
/// triangle held before.
/// </summary>
public sealed class PackedTensors
{
    private readonly Tensor[] _tensors;
    private readonly Part[] _parts;

    /// <summary>n for a member moved as its lower triangle, 0 for a whole one.</summary>
    private readonly int[] _triangleSides;

    /// <summary>Packs <paramref name="tensors"/> (float32 or float64 only, else <see cref="ArgumentException"/>) into one host buffer per dtype.</summary>
    public PackedTensors(IEnumerable<Tensor> tensors)
        : this((tensors ?? throw new ArgumentNullException(nameof(tensors))).Select(t => (t, false)))
    {
    }

    /// <summary>Packs <paramref name="members"/>: whole tensors, or (LowerTriangle) the lower triangles of symmetric
    /// square matrices [n, n] (any other shape is an <see cref="ArgumentException"/> naming it).</summary>
    public PackedTensors(IEnumerable<(Tensor Tensor, bool LowerTriangle)> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var all = members.ToArray();
        _tensors = all.Select(m => m.Tensor).ToArray();
        var triangles = new int[_tensors.Length];
        for (int i = 0; i < _tensors.Length; i++)
        {
            var t = _tensors[i] ?? throw new ArgumentException($"tensor {i} is null", nameof(members));
            if (t.DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"tensor {i} ({t.Shape}) is {t.DType}; only float32 and float64 tensors can be packed", nameof(members));
            if (!all[i].LowerTriangle) continue;
            if (t.Shape.Rank != 2 || t.Shape[0] != t.Shape[1])
                throw new ArgumentException($"tensor {i} ({t.Shape}) is declared a lower triangle but is not a square matrix", nameof(members));
            triangles[i] = t.Shape[0];
        }
        _triangleSides = triangles;
        _parts = new[] { DType.Float32, DType.Float64 }
            .Select(d => Part.Create(_tensors, triangles, d)).Where(p => p is not null).Select(p => p!).ToArray();
    }

    /// <summary>The packed tensors, in the order given.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <summary>Total elements moved (the message size in elements: n(n+1)/2 for a lower triangle).</summary>
    public long Elements => _tensors.Select((t, i) => MessageLength(t, _triangleSides[i])).Sum();

    /// <summary>Elements a member occupies in the message.</summary>
    private static long MessageLength(Tensor t, int triangleSide) =>
        triangleSide > 0 ? (long)triangleSide * (triangleSide + 1) / 2 : t.Numel;

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

    private abstract class Part(int[] members, int[] offsets, int[] sides)
    {
        protected int[] Members { get; } = members;

        protected int[] Offsets { get; } = offsets;

        /// <summary>Per member: n when only its lower triangle travels, else 0.</summary>
        protected int[] Sides { get; } = sides;

        public static Part? Create(Tensor[] tensors, int[] triangleSides, DType dtype)
        {
            var members = Enumerable.Range(0, tensors.Length).Where(i => tensors[i].DType == dtype).ToArray();
            if (members.Length == 0) return null;
            var offsets = new int[members.Length + 1];
            var sides = members.Select(i => triangleSides[i]).ToArray();
            for (int k = 0; k < members.Length; k++)
                offsets[k + 1] = checked(offsets[k] + (int)MessageLength(tensors[members[k]], sides[k]));
            return dtype == DType.Float32
                ? new Part<float>(members, offsets, sides, new float[offsets[^1]])
                : new Part<double>(members, offsets, sides, new double[offsets[^1]]);
        }

        public abstract void AllReduce(Tensor[] tensors, ICommunicator communicator, double scale);

        public abstract void Broadcast(Tensor[] tensors, ICommunicator communicator, int root);
    }

    private sealed class Part<T>(int[] members, int[] offsets, int[] sides, T[] buffer) : Part(members, offsets, sides)
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
            else MirrorTriangles(tensors); // the root's matrices whole and symmetric too, as everyone else's
        }

        private void MirrorTriangles(Tensor[] tensors)
        {
            for (int k = 0; k < Members.Length; k++)
                if (Sides[k] > 0) tensors[Members[k]].Backend.MirrorLower(tensors[Members[k]], Sides[k]);
        }

        private void Pack(Tensor[] tensors)
        {
            for (int k = 0; k < Members.Length; k++)
            {
                var t = tensors[Members[k]];
                var span = buffer.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]);
                int n = Sides[k];
                if (n == 0)
                {
                    t.Backend.Download<T>(t.Storage, 0, span);
                    continue;
                }
                // Row i's first i + 1 elements, rows one after another.
                for (int i = 0, at = 0; i < n; at += ++i) t.Backend.Download<T>(t.Storage, i * n, span.Slice(at, i + 1));
            }
        }

        private void Unpack(Tensor[] tensors)
        {
            for (int k = 0; k < Members.Length; k++)
            {
                var t = tensors[Members[k]];
                var span = buffer.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]);
                int n = Sides[k];
                if (n == 0)
                {
                    t.Backend.Upload<T>(span, t.Storage, 0);
                    continue;
                }
                for (int i = 0, at = 0; i < n; at += ++i) t.Backend.Upload<T>(span.Slice(at, i + 1), t.Storage, i * n);
            }
            MirrorTriangles(tensors);
        }
    }
}
