using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Cpu;

/// <summary>
/// The Bernoulli negative log-likelihood (the deep autoencoder's loss) fused into one pass each way, split across
/// <see cref="CpuParallel"/>'s threads:
///   forward   sum_i softplus(z_i) - t_i z_i,  softplus(z) = max(z, 0) + log1p(exp(-|z|))   (no overflow for any z)
///   gradient  dz (+)= scale (sigmoid(z) - t)
/// Composed from separate ops the forward read the logits four times and the backward five. The sum is
/// deterministic whatever the thread count: fixed blocks, each block's partial sum in its own slot, slots summed in
/// order (see CpuBackend.Vectors); within a block 1024-element chunks are summed in SIMD and accumulated in double.
/// </summary>
internal sealed partial class CpuBackend
{
    public double SigmoidCrossEntropySum(Tensor logits, Tensor targets)
    {
        SameSize("SigmoidCrossEntropySum", (nameof(logits), logits), (nameof(targets), targets));
        if (logits.Numel == 0) return 0;
        return IsDouble(logits)
            ? SigmoidCrossEntropySum<double>(logits, targets)
            : SigmoidCrossEntropySum<float>(logits, targets);
    }

    public void SigmoidCrossEntropyGradient(Tensor logits, Tensor targets, double scale, Tensor dLogits, bool accumulate)
    {
        SameSize("SigmoidCrossEntropyGradient", (nameof(logits), logits), (nameof(targets), targets), (nameof(dLogits), dLogits));
        if (IsDouble(logits)) SigmoidCrossEntropyGradient<double>(S<double>(logits), S<double>(targets), scale, S<double>(dLogits), accumulate);
        else SigmoidCrossEntropyGradient<float>(S<float>(logits), S<float>(targets), (float)scale, S<float>(dLogits), accumulate);
    }

    private static unsafe double SigmoidCrossEntropySum<T>(Tensor logits, Tensor targets) where T : unmanaged, IFloatingPointIeee754<T> =>
        Reduce(logits.Numel, new SigmoidCrossEntropySumBody<T>
        {
            Logits = Pointer(S<T>(logits)), Targets = Pointer(S<T>(targets)), Block = new BlockSlots { N = logits.Numel },
        }).Item1;

    private static unsafe void SigmoidCrossEntropyGradient<T>(Span<T> z, Span<T> t, T scale, Span<T> dz, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var body = new SigmoidCrossEntropyGradientBody<T> { Logits = Pointer(z), Targets = Pointer(t), Gradient = Pointer(dz), Scale = scale, Accumulate = accumulate };
        if (z.Length < ParallelThreshold) body.Invoke(0, z.Length);
        else CpuParallel.For(0, z.Length, body, grain: ElementwiseGrain);
    }

    private unsafe struct SigmoidCrossEntropySumBody<T> : IBlockReduction where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Logits, Targets;
        public BlockSlots Block;

        public void Bind(double* slots, int blocks) => Block.Bind(slots, blocks);

        public readonly void Invoke(int start, int end)
        {
            const int chunk = 1024;
            for (int b = start; b < end; b++)
            {
                var (i0, len) = Block.Range(b);
                var exps = Scratch<T>.First(chunk);
                var terms = Scratch<T>.Second(chunk);
                double sum = 0;
                for (int c = 0; c < len; c += chunk)
                {
                    int n = Math.Min(chunk, len - c);
                    var z = new ReadOnlySpan<T>(Logits + i0 + c, n);
                    var t = new ReadOnlySpan<T>(Targets + i0 + c, n);
                    var e = exps[..n];
                    var l = terms[..n];
                    TensorPrimitives.Abs(z, e);
                    TensorPrimitives.Negate(e, e);
                    TensorPrimitives.Exp(e, e);                // exp(-|z|) in (0, 1]
                    SmallArgumentSeries.LogP1(e, l);           // log1p(exp(-|z|)), exact for tiny arguments (no copy: e and l differ)
                    AddPositivePartMinusProduct(z, t, l);      // + max(z, 0) - t z
                    sum += double.CreateTruncating(TensorPrimitives.Sum<T>(l));
                }
                Block.Slots[b] = sum;
                Block.Slots[Block.Blocks + b] = 1;
            }
        }
    }

    /// <summary>e += max(z, 0) - t z elementwise.</summary>
    private static void AddPositivePartMinusProduct<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            int w = Vector256<T>.Count;
            for (; i <= z.Length - w; i += w)
            {
                var vz = Vector256.Create(z.Slice(i, w));
                var r = Vector256.Create((ReadOnlySpan<T>)e.Slice(i, w)) + Vector256.Max(vz, Vector256<T>.Zero) - Vector256.Create(t.Slice(i, w)) * vz;
                r.CopyTo(e[i..]);
            }
        }
        for (; i < z.Length; i++) e[i] += T.Max(z[i], T.Zero) - t[i] * z[i];
    }

    private unsafe struct SigmoidCrossEntropyGradientBody<T> : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Logits, Targets, Gradient;
        public T Scale;
        public bool Accumulate;

        public readonly void Invoke(int start, int end)
        {
            const int chunk = 1024;
            var p = Scratch<T>.First(chunk);
            for (int c = start; c < end; c += chunk)
            {
                int n = Math.Min(chunk, end - c);
                var sig = p[..n];
                Sigmoid(new ReadOnlySpan<T>(Logits + c, n), sig);
                ScaledResidual(sig, new ReadOnlySpan<T>(Targets + c, n), Scale, new Span<T>(Gradient + c, n), Accumulate);
            }
        }
    }

    /// <summary>d (+)= scale (p - t) elementwise.</summary>
    private static void ScaledResidual<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, T scale, Span<T> d, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            int w = Vector256<T>.Count;
            var vs = Vector256.Create(scale);
            for (; i <= p.Length - w; i += w)
            {
                var r = vs * (Vector256.Create(p.Slice(i, w)) - Vector256.Create(t.Slice(i, w)));
                if (accumulate) r += Vector256.Create((ReadOnlySpan<T>)d.Slice(i, w));
                r.CopyTo(d[i..]);
            }
        }
        for (; i < p.Length; i++)
        {
            T r = scale * (p[i] - t[i]);
            d[i] = accumulate ? d[i] + r : r;
        }
    }
}
