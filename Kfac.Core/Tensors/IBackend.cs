namespace Kfac.Tensors;

/// <summary>Pointwise functions y = f(x) the autodiff knows (see <see cref="IBackend.Unary"/>).</summary>
public enum UnaryOp
{
    /// <summary>y = -x.</summary>
    Neg,
    /// <summary>y = exp(x).</summary>
    Exp,
    /// <summary>y = log(x) (natural log; x must be positive).</summary>
    Log,
    /// <summary>y = tanh(x).</summary>
    Tanh,
    /// <summary>y = 1 / (1 + exp(-x)), the logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>y = max(x, 0).</summary>
    Relu,
    /// <summary>softplus(x) = log(1 + exp(x)), computed stably as max(x, 0) + log1p(exp(-|x|)).</summary>
    Softplus,
    /// <summary>y = x^2.</summary>
    Square,
    /// <summary>y = sqrt(x).</summary>
    Sqrt,
}

/// <summary>Elementwise binary functions c = f(a, b) (with the broadcasts of <see cref="BroadcastLayout"/>).</summary>
public enum BinaryOp
{
    /// <summary>c = a + b.</summary>
    Add,
    /// <summary>c = a - b.</summary>
    Sub,
    /// <summary>c = a * b (elementwise, Hadamard).</summary>
    Mul,
    /// <summary>c = a / b (elementwise).</summary>
    Div,
}

/// <summary>
/// How a binary op's operands line up. The full-size operand(s) and the result are viewed as
/// [Outer, Mid, Inner]; a broadcast operand has Mid elements and is indexed by the middle coordinate.
/// This covers a row vector over a matrix ([1, n] over [m, n]: Outer = m, Mid = n, Inner = 1), a
/// column ([m, 1]: Outer = 1, Mid = m, Inner = n), a per-channel vector over NCHW, and a scalar (Mid = 1).
/// </summary>
public readonly record struct BroadcastLayout(int Outer, int Mid, int Inner, BroadcastSide Side)
{
    /// <summary>Elements of the full-size operand and of the result: Outer * Mid * Inner.</summary>
    public int Total => Outer * Mid * Inner;
}

/// <summary>Which operand of a binary op, if any, is broadcast (see <see cref="BroadcastLayout"/>).</summary>
public enum BroadcastSide
{
    /// <summary>Both operands have the full shape.</summary>
    None,
    /// <summary>The left operand (a) is the small one.</summary>
    Left,
    /// <summary>The right operand (b) is the small one.</summary>
    Right,
}

/// <summary>
/// The compute contract every device implements (CPU here, ILGPU in Kfac.Gpu). Tensors passed in are
/// contiguous, on this backend's device, and of one dtype; the ops in Kfac.Ops check shapes before calling.
/// "accumulate" means the result is added into the destination (beta = 1) instead of overwriting it, which
/// lets the autodiff sum gradients from several consumers without temporaries.
/// </summary>
public interface IBackend
{
    /// <summary>The device whose tensors this backend computes on.</summary>
    Device Device { get; }

    /// <summary>A buffer of <paramref name="length"/> elements, contents unspecified (pooled).</summary>
    Storage Allocate(DType dtype, int length);

    /// <summary>Copies <paramref name="source"/> from host memory into <paramref name="destination"/> starting at element <paramref name="offset"/>.</summary>
    void Upload<T>(ReadOnlySpan<T> source, Storage destination, int offset) where T : unmanaged;

    /// <summary>Copies elements of <paramref name="source"/> from element <paramref name="offset"/> into host memory <paramref name="destination"/> (its length is the count).</summary>
    void Download<T>(Storage source, int offset, Span<T> destination) where T : unmanaged;

    /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/> (rounded to x's dtype).</summary>
    void Fill(Tensor x, double value);

    /// <summary>y = x (same number of elements).</summary>
    void Copy(Tensor x, Tensor y);

    /// <summary>y = alpha * x + beta * y; beta == 0 overwrites y.</summary>
    void Axpby(double alpha, Tensor x, double beta, Tensor y);

    /// <summary>y = scale * x + shift, elementwise.</summary>
    void Affine(Tensor x, double scale, double shift, Tensor y);

    /// <summary>C = alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n, all row-major and tight.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c);

    /// <summary>C = alpha op(A) op(B) + beta C on sub-matrices: each view gives its matrix AS STORED (A is k x m
    /// when transA, B is n x k when transB) by offset and row stride. C must not overlap A or B.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, MatrixView a, MatrixView b, double beta, MatrixView c);

    /// <summary>
    /// The caller promises that the tensors' contents do not change until the returned handle is disposed, so the
    /// backend may reuse work derived from them across calls (the CPU backend packs a held tensor once as a GEMM
    /// B operand, per orientation and shape, instead of in every product). Writing a held tensor before disposing
    /// the handle makes later products read stale data. Backends with nothing to cache return a no-op handle.
    /// </summary>
    IDisposable HoldConstant(IReadOnlyList<Tensor> tensors) => NoHold.Instance;

    /// <summary>y = f(x) elementwise for the pointwise function <paramref name="op"/>; x and y have the same number of elements.</summary>
    void Unary(UnaryOp op, Tensor x, Tensor y);

    /// <summary>dx (+)= dy * f'(x), where the derivative may be computed from x or from y = f(x).
    /// The same kernel gives the JVP of f (tangent in dy).</summary>
    void UnaryDerivativeProduct(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, bool accumulate);

    /// <summary>c (+)= a op b with the operands laid out as <paramref name="layout"/> says.</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c, BroadcastLayout layout, bool accumulate);

    /// <summary>y[o, i] (+)= sum_d x[o, d, i] for x viewed as [outer, dim, inner].</summary>
    void SumAxis(Tensor x, int outer, int dim, int inner, Tensor y, bool accumulate);

    /// <summary>y[m] (+)= sum_{o, i} x[o, m, i] for x viewed as [outer, mid, inner] (the adjoint of broadcasting).</summary>
    void SumToMid(Tensor x, int outer, int mid, int inner, Tensor y, bool accumulate);

    /// <summary>y[o, d, i] (+)= x[o, i] (the adjoint of <see cref="SumAxis"/>).</summary>
    void BroadcastAxis(Tensor x, int outer, int dim, int inner, Tensor y, bool accumulate);

    /// <summary>y = x - logsumexp(x) over each row of a [rows, cols] matrix.</summary>
    void LogSoftmax(Tensor x, int rows, int cols, Tensor y);

    /// <summary>dx (+)= dy - softmax * rowsum(dy), with softmax = exp(y), y the log-softmax output.
    /// With accumulate false and dy a tangent this is not the JVP; see <see cref="LogSoftmaxJvp"/>.</summary>
    void LogSoftmaxBackward(Tensor y, Tensor dy, int rows, int cols, Tensor dx, bool accumulate);

    /// <summary>ty = tx - rowsum(softmax * tx), the forward-mode derivative of log-softmax.</summary>
    void LogSoftmaxJvp(Tensor y, Tensor tx, int rows, int cols, Tensor ty);

    /// <summary>y[r] = log sum_c exp(x[r, c]).</summary>
    void LogSumExp(Tensor x, int rows, int cols, Tensor y);

    /// <summary>dx[r, c] (+)= dy[r] * exp(x[r, c] - y[r]).</summary>
    void LogSumExpBackward(Tensor x, Tensor y, Tensor dy, int rows, int cols, Tensor dx, bool accumulate);

    /// <summary>ty[r] = sum_c exp(x[r, c] - y[r]) tx[r, c].</summary>
    void LogSumExpJvp(Tensor x, Tensor y, Tensor tx, int rows, int cols, Tensor ty);

    /// <summary>y = x^T for x a [rows, cols] matrix.</summary>
    void Transpose(Tensor x, int rows, int cols, Tensor y);

    /// <summary>Sum of all elements of x (a host scalar; a synchronisation point on a GPU).</summary>
    double Sum(Tensor x);

    /// <summary>Sum of x * y over all elements (host scalar).</summary>
    double Dot(Tensor x, Tensor y);

    /// <summary>results[i] = left[i] . right[i] for every pair. A backend may fuse the pairs into one pass over
    /// memory, so a tensor named in several pairs is read once (the K-FAC quadratic model's inner products).</summary>
    void Dots(IReadOnlyList<Tensor> left, IReadOnlyList<Tensor> right, Span<double> results)
    {
        for (int i = 0; i < left.Count; i++) results[i] = Dot(left[i], right[i]);
    }

    /// <summary>True if every element is finite.</summary>
    bool AllFinite(Tensor x);

    /// <summary>
    /// sum_i softplus(z_i) - t_i z_i over all elements of logits z and targets t (host scalar, accumulated in double):
    /// the Bernoulli negative log-likelihood. The default composes softplus, product and sum; a backend may fuse them
    /// into one pass.
    /// </summary>
    double SigmoidCrossEntropySum(Tensor logits, Tensor targets)
    {
        var terms = Tensor.EmptyLike(logits);
        Unary(UnaryOp.Softplus, logits, terms);
        var products = Tensor.EmptyLike(logits);
        Binary(BinaryOp.Mul, targets, logits, products, new BroadcastLayout(1, logits.Numel, 1, BroadcastSide.None), false);
        Axpby(-1, products, 1, terms);
        return Sum(terms);
    }

    /// <summary>dz (+)= scale (sigmoid(z) - t) elementwise: the gradient of <see cref="SigmoidCrossEntropySum"/> times
    /// scale. The default takes three passes; a backend may fuse them into one.</summary>
    void SigmoidCrossEntropyGradient(Tensor logits, Tensor targets, double scale, Tensor dLogits, bool accumulate)
    {
        var residual = Tensor.EmptyLike(logits);
        Unary(UnaryOp.Sigmoid, logits, residual);
        Axpby(-1, targets, 1, residual);
        Axpby(scale, residual, accumulate ? 1 : 0, dLogits);
    }

    /// <summary>
    /// sum_i -p_i ln p_i (with <paramref name="binary"/>, plus -(1 - p_i) ln(1 - p_i)), with 0 ln 0 = 0: the entropy of
    /// soft targets, the infimum of their cross entropy (host scalar). -infinity when an element lies outside [0, 1] or
    /// is NaN (the cross entropy then has no lower bound). The default copies p to the host.
    /// </summary>
    double EntropySum(Tensor p, bool binary)
    {
        var values = p.DType == DType.Float64 ? p.ToArray<double>() : Array.ConvertAll(p.ToArray<float>(), v => (double)v);
        double sum = 0;
        foreach (double v in values)
        {
            if (!(v >= 0 && v <= 1)) return double.NegativeInfinity;
            if (v > 0) sum -= v * Math.Log(v);
            if (binary && v < 1) sum -= (1 - v) * Math.Log(1 - v);
        }
        return sum;
    }

    // ---- Fused passes over parameter-sized vectors (second-order optimizers) ----

    /// <summary>
    /// result = grad + eta * param in one pass, returning whether every result entry is finite and, when
    /// <paramref name="squaredNorm"/> is set, |param|^2 (else 0): K-FAC's gradient of h = loss + eta/2 |theta|^2 with
    /// its guard and the L2 term of h, without three more passes over the parameters.
    /// </summary>
    (double SquaredNorm, bool Finite) RegularizedGradient(Tensor grad, Tensor param, double eta, Tensor result, bool squaredNorm)
    {
        Copy(grad, result);
        if (eta != 0) Axpby(eta, param, 1, result);
        return (squaredNorm ? Dot(param, param) : 0, AllFinite(result));
    }

    /// <summary>
    /// The update step in one pass: previous = alpha * direction + mu * previous; backup = param; param += previous.
    /// Returns whether every entry of the new previous is finite (if not, param holds garbage and the caller restores
    /// it from backup) and, when <paramref name="squaredNorm"/> is set, |param|^2 after the update (else 0).
    /// </summary>
    (double SquaredNorm, bool Finite) ApplyUpdate(double alpha, Tensor direction, double mu, Tensor previous, Tensor param, Tensor backup, bool squaredNorm)
    {
        Axpby(alpha, direction, mu, previous);
        bool finite = AllFinite(previous);
        Copy(param, backup);
        Axpby(1, previous, 1, param);
        return (squaredNorm ? Dot(param, param) : 0, finite);
    }

    // ---- Curvature (K-FAC) primitives ----

    /// <summary>C = beta C + alpha X^T X for X [rows, cols] (a covariance update: only one triangle is
    /// computed, then mirrored). beta = eps, alpha = (1 - eps) / m fuses K-FAC's exponential moving average.</summary>
    void Syrk(Tensor x, int rows, int cols, double alpha, double beta, Tensor c);

    /// <summary>C = beta C + alpha X X^T for X [rows, cols], C [rows, rows]: the covariance of X's columns (each
    /// column one example), e.g. im2col's patch columns, without transposing X first.</summary>
    void SyrkTransposed(Tensor x, int rows, int cols, double alpha, double beta, Tensor c);

    /// <summary><see cref="Syrk"/> that may leave C's strictly upper triangle as it was (only the lower one is
    /// guaranteed): a moving average updated every step and read whole only now and then skips the mirror's writes
    /// (half of C) per update and calls <see cref="MirrorLower"/> before reading. The default writes both triangles;
    /// a backend that overrides this overrides <see cref="MirrorLower"/> too.</summary>
    void SyrkLower(Tensor x, int rows, int cols, double alpha, double beta, Tensor c) => Syrk(x, rows, cols, alpha, beta, c);

    /// <summary><see cref="SyrkTransposed"/> that may leave C's strictly upper triangle as it was (see <see cref="SyrkLower"/>).</summary>
    void SyrkTransposedLower(Tensor x, int rows, int cols, double alpha, double beta, Tensor c) =>
        SyrkTransposed(x, rows, cols, alpha, beta, c);

    /// <summary>C[j, i] = C[i, j] for i &gt; j on C [n, n]: makes a matrix whose lower triangle
    /// <see cref="SyrkLower"/> / <see cref="SyrkTransposedLower"/> (or a lower-triangle message,
    /// <see cref="Kfac.Distributed.PackedTensors"/>) updated symmetric again, whatever its upper triangle held. The
    /// default goes through host memory (correct on any backend; the CPU and GPU backends override it).</summary>
    void MirrorLower(Tensor c, int n)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (n < 0 || (long)n * n > c.Shape.Numel)
            throw new ArgumentException($"MirrorLower: c {c.Shape} holds fewer than n x n = {n} x {n} elements", nameof(c));
        MirrorLowerOnHost(this, c, n);
    }

    /// <summary><see cref="MirrorLower"/>'s default: C downloaded, mirrored on the host, uploaded.</summary>
    internal static void MirrorLowerOnHost(IBackend backend, Tensor c, int n)
    {
        if (c.DType == DType.Float64) MirrorLowerOnHost<double>(backend, c, n);
        else if (c.DType == DType.Float32) MirrorLowerOnHost<float>(backend, c, n);
        else throw new ArgumentException($"MirrorLower: C is {c.DType}; only float32 and float64 are supported", nameof(c));
    }

    private static void MirrorLowerOnHost<T>(IBackend backend, Tensor c, int n) where T : unmanaged
    {
        var host = new T[(long)n * n];
        backend.Download<T>(c.Storage, 0, host);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) host[i * n + j] = host[j * n + i];
        backend.Upload<T>(host, c.Storage, 0);
    }

    /// <summary>Copies a rows x cols block: dst[dstOffset + r * dstStride + c] = src[srcOffset + r * srcStride + c]
    /// (used to append the homogeneous coordinate and to split [dW | db]).</summary>
    void CopyBlock(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset, int dstStride, int rows, int cols);

    /// <summary>Sets a rows x cols block of dst (offset, stride as in <see cref="CopyBlock"/>) to value.</summary>
    void FillBlock(Tensor dst, int offset, int stride, int rows, int cols, double value);

    /// <summary>a += value * I for a square n x n matrix.</summary>
    void AddToDiagonal(Tensor a, int n, double value);

    /// <summary>Trace of a square n x n matrix (host scalar).</summary>
    double Trace(Tensor a, int n);

    /// <summary>inverse = (A + damping I)^-1 for a symmetric positive definite n x n matrix, guarded: the input
    /// is symmetrised, checked for NaN/Inf (Kfac.Linalg.NonFiniteMatrixException), factored in float32 and, if
    /// that fails, in float64; if both fail Kfac.Linalg.NotPositiveDefiniteException is thrown so the caller
    /// can add damping and retry. The result is exactly symmetric.</summary>
    void SpdInverse(Tensor a, int n, double damping, Tensor inverse);

    // ---- Sampling (counter-based, identical on every backend: see Kfac.Sampling.RandomStream) ----

    /// <summary>x[i] = uniform [0, 1) draw number (offset + i) under <paramref name="key"/>.</summary>
    void FillUniform(Tensor x, ulong key, ulong offset);

    /// <summary>x[i] = N(0, 1) from draws 2 (offset + i) and 2 (offset + i) + 1 (Box-Muller).</summary>
    void FillNormal(Tensor x, ulong key, ulong offset);

    /// <summary>result[i] = a[i] &lt; b[i] ? 1 : 0 (same shapes; no gradient).</summary>
    void LessThan(Tensor a, Tensor b, Tensor result);

    /// <summary>One-hot rows: result[r, c] = 1 for the first c with p[r, 0] + ... + p[r, c] &gt; u[r] (the last
    /// column if rounding leaves none), 0 elsewhere; p is [rows, cols], u is [rows].</summary>
    void SampleCategorical(Tensor probabilities, Tensor uniforms, int rows, int cols, Tensor result);

    // ---- Convolution and pooling (NCHW) ----

    /// <summary>
    /// im2col, patches as COLUMNS: cols[q, r] = x[b, c, oh StrideH - PadH + i, ow StrideW - PadW + j] (0 where that
    /// falls in the padding), with row q = (c KernelH + i) KernelW + j (the order of a [Cout, C, KernelH, KernelW]
    /// weight's trailing axes) and column r = (b OutHeight + oh) OutWidth + ow (batch-major). x is
    /// [Batch, Channels, Height, Width]; cols is [PatchSize, PatchCount] (see <see cref="WindowGeometry"/>), so a
    /// convolution is the GEMM W cols with W viewed as [Cout, PatchSize]. The columns are KFC's patches
    /// (Grosse and Martens 2016, section 2). Each row is written as runs of OutWidth contiguous elements, each a
    /// (strided) copy of one input row.
    /// </summary>
    void Im2Col(Tensor x, WindowGeometry g, Tensor cols);

    /// <summary>col2im, the adjoint of <see cref="Im2Col"/>: dx (+)= for every (q, r), cols[q, r] added at the input
    /// element that Im2Col read it from (entries that fell in the padding are dropped). Overlapping windows add up.</summary>
    void Col2Im(Tensor cols, WindowGeometry g, Tensor dx, bool accumulate);

    /// <summary>The convolution's input gradient: dx (+)= col2im(W^T dyc), W viewed as [Cout, PatchSize], dyc [Cout, PatchCount]
    /// channel-major. Same result as the GEMM into a [PatchSize, PatchCount] matrix then <see cref="Col2Im"/>
    /// (<see cref="Ops.ConvolutionLowering"/>), but a backend may build W^T dyc in pieces: the CPU one a few images at a
    /// time, each piece added back into its images while it is in cache.</summary>
    void ConvolutionInputGradient(Tensor weight, WindowGeometry g, Tensor dyc, Tensor dx, bool accumulate);

    /// <summary>Swaps the two middle axes: y[o, j, i, k] = x[o, i, j, k] for x viewed as [outer, a, b, inner] and y as
    /// [outer, b, a, inner]. NCHW to CNHW (outer 1, a = N, b = C, inner = H W) moves contiguous planes; NCHW to NHWC
    /// (outer = N, a = C, b = H W, inner 1) is a batch of matrix transposes.</summary>
    void SwapMiddleAxes(Tensor x, int outer, int a, int b, int inner, Tensor y);

    /// <summary>Max pooling: y[b, c, oh, ow] = max of x over the window (padding never wins: it counts as -inf).
    /// x is [Batch, Channels, Height, Width], y [Batch, Channels, OutHeight, OutWidth]. The arg max used by
    /// <see cref="MaxPoolBackward"/> and <see cref="MaxPoolJvp"/> is the FIRST maximal element of the window in
    /// row-major (i, j) order, recomputed from x (no index tensor is kept).</summary>
    void MaxPool(Tensor x, WindowGeometry g, Tensor y);

    /// <summary>dx (+)= dy routed to each window's arg max (see <see cref="MaxPool"/>); windows that share an
    /// arg max add up. With accumulate false, dx is zeroed first.</summary>
    void MaxPoolBackward(Tensor x, Tensor dy, WindowGeometry g, Tensor dx, bool accumulate);

    /// <summary>ty[b, c, oh, ow] = tx at the window's arg max of x: the forward-mode derivative of max pooling.</summary>
    void MaxPoolJvp(Tensor x, Tensor tx, WindowGeometry g, Tensor ty);
}

/// <summary>The handle of a backend that caches nothing for held tensors.</summary>
internal sealed class NoHold : IDisposable
{
    public static readonly NoHold Instance = new();

    public void Dispose() { }
}
