using Kfac.Tensors;
using Tensor = Kfac.Tensors.Tensor;

namespace Kfac.Gpu;

/// <summary>Counter-based sampling (Kfac.Sampling.RandomStream) on the device: every thread computes its own draws,
/// so uniform draws are bit-identical to the CPU backend's and no random state lives on the device.</summary>
public sealed partial class IlgpuBackend
{
    public void FillUniform(Tensor x, ulong key, ulong offset)
    {
        int n = x.Numel;
        if (n == 0) return;
        if (IsDouble(x)) _f64.FillUniform(Policy.Linear(n), V<double>(x, nameof(x)), n, key, offset);
        else _f32.FillUniform(Policy.Linear(n), V<float>(x, nameof(x)), n, key, offset);
    }

    public void FillNormal(Tensor x, ulong key, ulong offset)
    {
        int n = x.Numel;
        if (n == 0) return;
        if (IsDouble(x)) _f64.FillNormal(Policy.Linear(n), V<double>(x, nameof(x)), n, key, offset);
        else _f32.FillNormal(Policy.Linear(n), V<float>(x, nameof(x)), n, key, offset);
    }

    public void LessThan(Tensor a, Tensor b, Tensor result)
    {
        SameDType(a, result, nameof(a), nameof(result));
        SameDType(b, result, nameof(b), nameof(result));
        int n = result.Numel;
        AtLeast(a, n, nameof(a), $"LessThan into 'result' of shape {result.Shape}");
        AtLeast(b, n, nameof(b), $"LessThan into 'result' of shape {result.Shape}");
        if (n == 0) return;
        if (IsDouble(a)) _f64.LessThan(Policy.Linear(n), V<double>(a, nameof(a)), V<double>(b, nameof(b)), V<double>(result, nameof(result)), n);
        else _f32.LessThan(Policy.Linear(n), V<float>(a, nameof(a)), V<float>(b, nameof(b)), V<float>(result, nameof(result)), n);
    }

    public void SampleCategorical(Tensor probabilities, Tensor uniforms, int rows, int cols, Tensor result)
    {
        SameDType(probabilities, result, nameof(probabilities), nameof(result));
        SameDType(uniforms, result, nameof(uniforms), nameof(result));
        if (rows < 0 || cols <= 0)
            throw new ArgumentOutOfRangeException(nameof(cols), $"SampleCategorical needs rows >= 0 and cols >= 1 (rows {rows}, cols {cols})");
        AtLeast(probabilities, (long)rows * cols, nameof(probabilities), $"SampleCategorical over [{rows}, {cols}]");
        AtLeast(uniforms, rows, nameof(uniforms), $"SampleCategorical over [{rows}, {cols}]");
        AtLeast(result, (long)rows * cols, nameof(result), $"SampleCategorical over [{rows}, {cols}]");
        if (rows == 0) return;
        if (IsDouble(probabilities))
            _f64.SampleCategorical(Policy.Linear(rows), V<double>(probabilities, nameof(probabilities)), V<double>(uniforms, nameof(uniforms)), V<double>(result, nameof(result)), rows, cols);
        else
            _f32.SampleCategorical(Policy.Linear(rows), V<float>(probabilities, nameof(probabilities)), V<float>(uniforms, nameof(uniforms)), V<float>(result, nameof(result)), rows, cols);
    }
}
