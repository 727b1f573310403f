using ILGPU;
using ILGPU.Runtime;
using Kfac.Gpu.Kernels;
using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>Axis reductions and their adjoint, and the host-scalar reductions (Sum, Dot, AllFinite).</summary>
public sealed partial class IlgpuBackend
{
    public void SumAxis(Tensor x, int outer, int dim, int inner, Tensor y, bool accumulate)
    {
        SameDType(x, y, nameof(x), nameof(y));
        CheckAxis(x, y, outer, dim, inner, (long)outer * inner, "SumAxis");
        if ((long)outer * inner == 0) return;
        int acc = accumulate ? 1 : 0;
        if (dim == 0 && !accumulate) { Fill(y, 0); return; }
        if (inner == 1)
        {
            // One row per output: a group per row with a tree reduction.
            if (IsDouble(x)) _f64.RowSum(Policy.Rows(outer), V<double>(x, nameof(x)), V<double>(y, nameof(y)), outer, dim, acc);
            else _f32.RowSum(Policy.Rows(outer), V<float>(x, nameof(x)), V<float>(y, nameof(y)), outer, dim, acc);
            return;
        }
        var args = new AxisArgs { Outer = outer, Dim = dim, Inner = inner, Accumulate = acc };
        if (IsDouble(x)) _f64.SumAxis(Policy.Columns((long)outer * inner), V<double>(x, nameof(x)), V<double>(y, nameof(y)), args);
        else _f32.SumAxis(Policy.Columns((long)outer * inner), V<float>(x, nameof(x)), V<float>(y, nameof(y)), args);
    }

    public void SumToMid(Tensor x, int outer, int mid, int inner, Tensor y, bool accumulate)
    {
        SameDType(x, y, nameof(x), nameof(y));
        CheckAxis(x, y, outer, mid, inner, mid, "SumToMid");
        if (mid == 0) return;
        if ((long)outer * inner == 0)
        {
            if (!accumulate) Fill(y, 0);
            return;
        }
        if (inner == 1)
        {
            // sum over o of x[o, m]: a column sum of the outer x mid matrix.
            SumAxis(x, 1, outer, mid, y, accumulate);
            return;
        }
        if (outer == 1)
        {
            // sum over i of x[m, i]: row sums of the mid x inner matrix.
            SumAxis(x, mid, inner, 1, y, accumulate);
            return;
        }
        var args = new AxisArgs { Outer = outer, Dim = mid, Inner = inner, Accumulate = accumulate ? 1 : 0 };
        if (IsDouble(x)) _f64.SumToMid(Policy.Rows(mid), V<double>(x, nameof(x)), V<double>(y, nameof(y)), args);
        else _f32.SumToMid(Policy.Rows(mid), V<float>(x, nameof(x)), V<float>(y, nameof(y)), args);
    }

    public void BroadcastAxis(Tensor x, int outer, int dim, int inner, Tensor y, bool accumulate)
    {
        SameDType(x, y, nameof(x), nameof(y));
        if (outer < 0 || dim < 0 || inner < 0)
            throw new ArgumentOutOfRangeException(nameof(dim), $"BroadcastAxis sizes must be >= 0 (outer {outer}, dim {dim}, inner {inner})");
        AtLeast(x, (long)outer * inner, nameof(x), $"BroadcastAxis over [{outer}, {dim}, {inner}]");
        AtLeast(y, (long)outer * dim * inner, nameof(y), $"BroadcastAxis over [{outer}, {dim}, {inner}]");
        long total = (long)outer * dim * inner;
        if (total == 0) return;
        var args = new AxisArgs { Outer = outer, Dim = dim, Inner = inner, Accumulate = accumulate ? 1 : 0 };
        if (IsDouble(x)) _f64.BroadcastAxis(Policy.Linear(total), V<double>(x, nameof(x)), V<double>(y, nameof(y)), args);
        else _f32.BroadcastAxis(Policy.Linear(total), V<float>(x, nameof(x)), V<float>(y, nameof(y)), args);
    }

    private static void CheckAxis(Tensor x, Tensor y, int outer, int dim, int inner, long outputs, string op)
    {
        if (outer < 0 || dim < 0 || inner < 0)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op} sizes must be >= 0 (outer {outer}, dim {dim}, inner {inner})");
        AtLeast(x, (long)outer * dim * inner, nameof(x), $"{op} over [{outer}, {dim}, {inner}]");
        AtLeast(y, outputs, nameof(y), $"{op} over [{outer}, {dim}, {inner}]");
    }

    public double Sum(Tensor x) => StridedSum(x, 0, 1, x.Numel, nameof(x));

    /// <summary>sum_l x[offset + l stride] for l &lt; count, partial sums in double on the device, finished on the host.</summary>
    private double StridedSum(Tensor x, int offset, int stride, int count, string name)
    {
        if (count == 0) return 0;
        var config = Policy.Linear(count);
        lock (_gate)
        {
            if (IsDouble(x)) _f64.PartialSum(config, V<double>(x, name), _partials.View.AsContiguous(), offset, stride, count);
            else _f32.PartialSum(config, V<float>(x, name), _partials.View.AsContiguous(), offset, stride, count);
            return SumPartials(config.GridDim.X);
        }
    }

    public double Dot(Tensor x, Tensor y)
    {
        SameDType(x, y, nameof(x), nameof(y));
        if (x.Numel != y.Numel)
            throw new ArgumentException($"Dot: 'x' has shape {x.Shape} ({x.Numel} elements), 'y' has shape {y.Shape} ({y.Numel})", nameof(y));
        int n = x.Numel;
        if (n == 0) return 0;
        var config = Policy.Linear(n);
        lock (_gate)
        {
            if (IsDouble(x)) _f64.PartialDot(config, V<double>(x, nameof(x)), V<double>(y, nameof(y)), _partials.View.AsContiguous(), n);
            else _f32.PartialDot(config, V<float>(x, nameof(x)), V<float>(y, nameof(y)), _partials.View.AsContiguous(), n);
            return SumPartials(config.GridDim.X);
        }
    }

    public bool AllFinite(Tensor x)
    {
        int n = x.Numel;
        if (n == 0) return true;
        lock (_gate)
        {
            var status = _status.View.AsContiguous();
            status.SubView(0, 1).MemSetToZero(_stream);
            if (IsDouble(x)) _f64.CountNonFinite(Policy.Linear(n), V<double>(x, nameof(x)), n, status, 0);
            else _f32.CountNonFinite(Policy.Linear(n), V<float>(x, nameof(x)), n, status, 0);
            return ReadStatus()[0] == 0;
        }
    }

    /// <summary>Downloads the status buffer (one synchronising transfer); call under the lock.</summary>
    private double[] ReadStatus()
    {
        _status.View.CopyToCPU(_stream, _statusHost.AsSpan());
        _stream.Synchronize();
        return _statusHost;
    }
}
