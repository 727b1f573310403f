using Kfac.Autodiff;
using Kfac.Tensors;

namespace Kfac.Ops;

/// <summary>
/// C = op(A) op(B) for 2-D tensors, op = identity or transpose (no transpose is ever materialised:
/// the flags go to the GEMM). The primitive every dense layer, K-FAC statistic and preconditioner uses.
/// </summary>
public static class MatMulOp
{
    /// <summary>C = op(a) op(b) for 2-D tensors, where op transposes when <paramref name="transA"/> / <paramref name="transB"/> is set; throws <see cref="ShapeMismatchException"/> if the inner dimensions differ.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        OpChecks.Compatible("MatMul", a, nameof(a), b, nameof(b));
        OpChecks.Rank("MatMul", a, nameof(a), 2);
        OpChecks.Rank("MatMul", b, nameof(b), 2);
        int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1];
        int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (k != kb)
            throw new ShapeMismatchException(
                $"MatMul: inner dimensions differ: op(a) is {m}x{k} (a {a.Shape}{(transA ? " transposed" : "")}), " +
                $"op(b) is {kb}x{n} (b {b.Shape}{(transB ? " transposed" : "")})", nameof(b));

        var c = Tensor.Empty(new Shape(m, n), a.DType, a.Device);
        a.Backend.Gemm(transA, transB, m, n, k, 1, a, b, 0, c);

        if (ForwardMode.Propagates(a, b))
            using (ForwardMode.Suspend()) c.Tangent = Tangent(a, b, a.Tangent, b.Tangent, transA, transB, m, n, k);

        if (OpChecks.Records(a, b)) c.MarkRequiresGrad(new MatMulNode(a, b, transA, transB, m, n, k));
        return c;
    }

    /// <summary>d(op(A) op(B)) = op(dA) op(B) + op(A) op(dB).</summary>
    private static Tensor Tangent(Tensor a, Tensor b, Tensor? ta, Tensor? tb, bool transA, bool transB, int m, int n, int k)
    {
        var t = Tensor.Empty(new Shape(m, n), a.DType, a.Device);
        double beta = 0;
        if (ta is not null) { a.Backend.Gemm(transA, transB, m, n, k, 1, ta, b, 0, t); beta = 1; }
        if (tb is not null) a.Backend.Gemm(transA, transB, m, n, k, 1, a, tb, beta, t);
        else if (ta is null) a.Backend.Fill(t, 0);
        return t;
    }

    private sealed class MatMulNode(Tensor a, Tensor b, bool transA, bool transB, int m, int n, int k)
        : Node("MatMul", a, b)
    {
        protected internal override Tensor Tangent(IReadOnlyList<Tensor?> t) => MatMulOp.Tangent(a, b, t[0], t[1], transA, transB, m, n, k);

        protected override void Backward(Tensor dc, BackwardContext ctx)
        {
            var backend = dc.Backend;
            // With C = op(A) op(B): d op(A) = dC op(B)^T (m x k) and d op(B) = op(A)^T dC (k x n).
            if (ctx.Needs(0))
            {
                var da = ctx.GradTarget(0, out bool acc);
                double beta = acc ? 1 : 0;
                if (!transA) backend.Gemm(false, !transB, m, k, n, 1, dc, b, beta, da);     // dA = dC op(B)^T
                else backend.Gemm(transB, true, k, m, n, 1, b, dc, beta, da);               // dA = op(B) dC^T
            }
            if (ctx.Needs(1))
            {
                var db = ctx.GradTarget(1, out bool acc);
                double beta = acc ? 1 : 0;
                if (!transB) backend.Gemm(!transA, false, k, n, m, 1, a, dc, beta, db);     // dB = op(A)^T dC
                else backend.Gemm(true, transA, n, k, m, 1, dc, a, beta, db);               // dB = dC^T op(A)
            }
        }
    }
}
