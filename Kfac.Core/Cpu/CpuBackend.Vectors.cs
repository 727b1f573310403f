using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// Passes over parameter-sized vectors (millions of elements, far beyond the caches): fused so each input is read
/// from memory once, and split across <see cref="CpuParallel"/>'s threads. Reductions are deterministic whatever
/// the thread count or scheduling: the vector is cut into fixed blocks of <see cref="VectorBlock"/> elements, each
/// block writes its partial result into its own slot, and the slots are summed in order.
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>Elements per block: a few blocks' worth of every operand fits in L2, so the fused steps of a block
    /// re-read their inputs from cache.</summary>
    private const int VectorBlock = 1 << 15;

    /// <summary>Blocks whose partial results fit on the stack; longer vectors rent an array.</summary>
    private const int StackBlocks = 512;

    public (double SquaredNorm, bool Finite) RegularizedGradient(Tensor grad, Tensor param, double eta, Tensor result, bool squaredNorm)
    {
        SameSize("RegularizedGradient", (nameof(grad), grad), (nameof(param), param), (nameof(result), result));
        return IsDouble(param)
            ? RegularizedGradient<double>(grad, param, eta, result, squaredNorm)
            : RegularizedGradient<float>(grad, param, (float)eta, result, squaredNorm);
    }

    public (double SquaredNorm, bool Finite) ApplyUpdate(double alpha, Tensor direction, double mu, Tensor previous, Tensor param, Tensor backup, bool squaredNorm)
    {
        SameSize("ApplyUpdate", (nameof(direction), direction), (nameof(previous), previous), (nameof(param), param), (nameof(backup), backup));
        return IsDouble(param)
            ? ApplyUpdate<double>(alpha, direction, mu, previous, param, backup, squaredNorm)
            : ApplyUpdate<float>((float)alpha, direction, (float)mu, previous, param, backup, squaredNorm);
    }

    private static unsafe (double, bool) RegularizedGradient<T>(Tensor grad, Tensor param, T eta, Tensor result, bool squaredNorm)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Reduce(param.Numel, new RegularizedGradientBody<T>
        {
            Grad = Pointer(S<T>(grad)), Param = Pointer(S<T>(param)), Result = Pointer(S<T>(result)), Eta = eta,
            Block = new BlockSlots { N = param.Numel, Norm = squaredNorm },
        });

    private static unsafe (double, bool) ApplyUpdate<T>(T alpha, Tensor direction, T mu, Tensor previous, Tensor param, Tensor backup, bool squaredNorm)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Reduce(param.Numel, new ApplyUpdateBody<T>
        {
            Direction = Pointer(S<T>(direction)), Previous = Pointer(S<T>(previous)), Param = Pointer(S<T>(param)),
            Backup = Pointer(S<T>(backup)), Alpha = alpha, Mu = mu, Block = new BlockSlots { N = param.Numel, Norm = squaredNorm },
        });

    /// <summary>What every fused reduction body shares: the vector length, whether to sum squares, and where block b
    /// writes its two partial results (see <see cref="Record{T}"/>).</summary>
    private unsafe struct BlockSlots
    {
        public int N, Blocks;
        public double* Slots;
        public bool Norm;

        public void Bind(double* slots, int blocks)
        {
            Slots = slots;
            Blocks = blocks;
        }

        /// <summary>Block b's element range.</summary>
        public readonly (int Start, int Length) Range(int b) => (b * VectorBlock, Math.Min(VectorBlock, N - b * VectorBlock));
    }

    private unsafe interface IBlockReduction : IRangeBody
    {
        /// <summary>Hands the body the slots its blocks write to.</summary>
        void Bind(double* slots, int blocks);
    }

    /// <summary>Runs the body over the fixed blocks of an n-element vector and combines the blocks' partial results in
    /// order (the tensors' pool arrays are pinned, so the bodies hold raw pointers).</summary>
    private static unsafe (double, bool) Reduce<TBody>(int n, TBody body) where TBody : struct, IBlockReduction
    {
        int blocks = Blocks(n);
        double[]? rented = blocks > StackBlocks ? new double[2 * blocks] : null;
        Span<double> partial = rented ?? stackalloc double[2 * Math.Min(blocks, StackBlocks)];
        fixed (double* slots = partial)
        {
            body.Bind(slots, blocks);
            RunBlocks(blocks, body);
        }
        return Combine(partial, blocks);
    }

    private static int Blocks(int n) => Math.Max(1, (n + VectorBlock - 1) / VectorBlock);

    private static void RunBlocks<TBody>(int blocks, in TBody body) where TBody : IRangeBody
    {
        if (blocks == 1) body.Invoke(0, 1);
        else CpuParallel.For(0, blocks, body, grain: 1);
    }

    /// <summary>Slots [0, blocks) hold the blocks' squared norms, [blocks, 2 blocks) 1 where a block was finite.</summary>
    private static (double SquaredNorm, bool Finite) Combine(ReadOnlySpan<double> slots, int blocks)
    {
        double norm = 0;
        bool finite = true;
        for (int b = 0; b < blocks; b++)
        {
            norm += slots[b];
            finite &= slots[blocks + b] != 0;
        }
        return (norm, finite);
    }

    /// <summary>x . x of one block, summed in double over 1024-element chunks (as <see cref="DotInDouble"/>).</summary>
    private static double SquaredNormOf<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(x);
            return DotInDouble(f, f);
        }
        var d = MemoryMarshal.Cast<T, double>(x);
        return TensorPrimitives.Dot(d, d);
    }

    /// <summary>Block b's partial results: |normOf|^2 (when asked, else 0) in slot b, and in slot blocks + b whether
    /// every entry of finiteOf is finite (an empty block is; TensorPrimitives answers false for an empty span).</summary>
    private static unsafe void Record<T>(in BlockSlots block, int b, ReadOnlySpan<T> normOf, ReadOnlySpan<T> finiteOf)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        block.Slots[b] = block.Norm ? SquaredNormOf(normOf) : 0;
        block.Slots[block.Blocks + b] = finiteOf.IsEmpty || TensorPrimitives.IsFiniteAll(finiteOf) ? 1 : 0;
    }

    private static unsafe bool AllFinite<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.Length <= VectorBlock
            ? TensorPrimitives.IsFiniteAll<T>(x)
            : Reduce(x.Length, new AllFiniteBody<T> { X = Pointer(x), Block = new BlockSlots { N = x.Length } }).Item2;

    private unsafe struct AllFiniteBody<T> : IBlockReduction where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* X;
        public BlockSlots Block;

        public void Bind(double* slots, int blocks) => Block.Bind(slots, blocks);

        public readonly void Invoke(int start, int end)
        {
            for (int b = start; b < end; b++)
            {
                var (i0, len) = Block.Range(b);
                Record<T>(Block, b, default, new ReadOnlySpan<T>(X + i0, len));
            }
        }
    }

    private unsafe struct RegularizedGradientBody<T> : IBlockReduction where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Grad, Param, Result;
        public T Eta;
        public BlockSlots Block;

        public void Bind(double* slots, int blocks) => Block.Bind(slots, blocks);

        public readonly void Invoke(int start, int end)
        {
            for (int b = start; b < end; b++)
            {
                var (i0, len) = Block.Range(b);
                var g = new ReadOnlySpan<T>(Grad + i0, len);
                var p = new ReadOnlySpan<T>(Param + i0, len);
                var r = new Span<T>(Result + i0, len);
                if (Eta == T.Zero) g.CopyTo(r);
                else TensorPrimitives.MultiplyAdd(p, Eta, g, r);
                Record(Block, b, p, r);
            }
        }
    }

    private unsafe struct ApplyUpdateBody<T> : IBlockReduction where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Direction, Previous, Param, Backup;
        public T Alpha, Mu;
        public BlockSlots Block;

        public void Bind(double* slots, int blocks) => Block.Bind(slots, blocks);

        public readonly void Invoke(int start, int end)
        {
            for (int b = start; b < end; b++)
            {
                var (i0, len) = Block.Range(b);
                var d = new ReadOnlySpan<T>(Direction + i0, len);
                var prev = new Span<T>(Previous + i0, len);
                var p = new Span<T>(Param + i0, len);
                Axpby(Alpha, d, Mu, prev);                   // delta = alpha Delta + mu delta0 (the same arithmetic as Axpby)
                p.CopyTo(new Span<T>(Backup + i0, len));     // theta before the update, for a rollback
                TensorPrimitives.Add(p, prev, p);            // theta += delta
                Record(Block, b, p, prev);
            }
        }
    }

    /// <summary>All pairs of <see cref="Dots"/> on one block: 1024-element chunks, so each chunk of every tensor is
    /// loaded from memory once and the pairs that share it read it from cache; chunk sums accumulate in double.</summary>
    private unsafe struct DotsBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T** Left, Right;
        public int Pairs, N;
        public double* Slots;

        public readonly void Invoke(int start, int end)
        {
            const int chunk = 1024;
            for (int b = start; b < end; b++)
            {
                int i0 = b * VectorBlock, i1 = Math.Min(N, i0 + VectorBlock);
                double* slot = Slots + (long)b * Pairs;
                for (int p = 0; p < Pairs; p++) slot[p] = 0;
                for (int i = i0; i < i1; i += chunk)
                {
                    int len = Math.Min(chunk, i1 - i);
                    for (int p = 0; p < Pairs; p++)
                        slot[p] += double.CreateTruncating(TensorPrimitives.Dot(new ReadOnlySpan<T>(Left[p] + i, len), new ReadOnlySpan<T>(Right[p] + i, len)));
                }
            }
        }
    }

    /// <summary>Same-size, same-dtype pairs, deterministic block partials summed in order.</summary>
    private static unsafe void ParallelDots<T>(IReadOnlyList<Tensor> left, IReadOnlyList<Tensor> right, Span<double> results)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pairs = left.Count, n = left[0].Numel, blocks = Blocks(n);
        T** ptrs = stackalloc T*[2 * pairs];
        for (int p = 0; p < pairs; p++)
        {
            ptrs[p] = Pointer(S<T>(left[p]));
            ptrs[pairs + p] = Pointer(S<T>(right[p]));
        }
        int count = blocks * pairs;
        double[]? rented = count > StackBlocks ? new double[count] : null;
        Span<double> slots = rented ?? stackalloc double[Math.Min(count, StackBlocks)];
        fixed (double* s = slots)
        {
            var body = new DotsBody<T> { Left = ptrs, Right = ptrs + pairs, Pairs = pairs, N = n, Slots = s };
            RunBlocks(blocks, body);
        }
        results[..pairs].Clear();
        for (int b = 0; b < blocks; b++)
            for (int p = 0; p < pairs; p++) results[p] += slots[b * pairs + p];
        GC.KeepAlive(left);
        GC.KeepAlive(right);
    }

    private static void SameSize(string op, params ReadOnlySpan<(string Name, Tensor Value)> tensors)
    {
        var (firstName, first) = tensors[0];
        foreach (var (name, t) in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, name);
            if (t.Numel != first.Numel || t.DType != first.DType)
                throw new ShapeMismatchException($"{op}: {name} is {t.Shape} {t.DType} but {firstName} is {first.Shape} {first.DType}; they must have the same size and dtype", name);
        }
    }
}
