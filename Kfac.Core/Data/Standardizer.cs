using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>
/// Per-feature standardisation x' = (x - mean) / std (scikit-learn's StandardScaler): fit on the training set
/// only, then applied to every set, so no statistic of the validation or test data leaks into training. std is
/// the population standard deviation (divisor N); a constant feature gets std 1 (it becomes 0, not NaN). The
/// statistics are accumulated in double.
/// </summary>
public sealed class Standardizer
{
    private readonly double[] _mean, _std;

    /// <summary>A standardizer with known statistics (e.g. saved with a model).</summary>
    public Standardizer(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != std.Length)
            throw new ArgumentException($"{mean.Length} means but {std.Length} standard deviations", nameof(std));
        for (int j = 0; j < std.Length; j++)
        {
            if (!double.IsFinite(mean[j])) throw new ArgumentOutOfRangeException(nameof(mean), $"feature {j}: mean {mean[j]} is not finite");
            if (!(std[j] > 0) || !double.IsFinite(std[j])) throw new ArgumentOutOfRangeException(nameof(std), $"feature {j}: standard deviation {std[j]} must be positive and finite");
        }
        _mean = (double[])mean.Clone();
        _std = (double[])std.Clone();
    }

    /// <summary>The per-feature means.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The per-feature standard deviations (1 for constant features).</summary>
    public IReadOnlyList<double> Std => _std;

    /// <summary>The number of features.</summary>
    public int FeatureCount => _mean.Length;

    /// <summary>Fits on [N, ...] inputs (features = everything after the example dimension).</summary>
    public static Standardizer Fit(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Rank < 2 || inputs.Shape[0] == 0)
            throw new ShapeMismatchException($"Standardizer.Fit needs [examples, features...] with at least one example, got {inputs.Shape}", nameof(inputs));
        int n = inputs.Shape[0], d = inputs.Numel / n;
        var x = inputs.ToDoubleArray();
        var mean = new double[d];
        var std = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) { double c = x[i * d + j] - mean[j]; std[j] += c * c; }
        for (int j = 0; j < d; j++)
        {
            if (!double.IsFinite(mean[j]) || !double.IsFinite(std[j]))
                throw new ArgumentException($"feature {j} has non-finite values (mean {mean[j]}); clean the data before standardising", nameof(inputs));
            std[j] = Math.Sqrt(std[j] / n);
            if (std[j] == 0) std[j] = 1;
        }
        return new Standardizer(mean, std);
    }

    /// <summary>Fits on the training examples' inputs.</summary>
    public static Standardizer Fit(LabeledData train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Fit(train.Inputs);
    }

    /// <summary>(x - mean) / std as a new tensor of the same shape, dtype and device.</summary>
    public Tensor Transform(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int n = inputs.Rank == 0 ? 0 : inputs.Shape[0];
        if (inputs.Rank < 2 || (n > 0 ? inputs.Numel / n : inputs.Shape.Product(1, inputs.Rank)) != FeatureCount)
            throw new ShapeMismatchException($"Standardizer was fitted on {FeatureCount} features; inputs have shape {inputs.Shape}", nameof(inputs));
        var x = inputs.ToDoubleArray();
        for (int i = 0; i < x.Length; i++) x[i] = (x[i] - _mean[i % FeatureCount]) / _std[i % FeatureCount];
        return Tensor.FromDoubles(x, inputs.Shape, inputs.DType, inputs.Device);
    }

    /// <summary>The same examples with standardised inputs (created outside any TensorScope).</summary>
    public LabeledData Transform(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Tensor inputs;
        using (TensorScope.Suspend()) inputs = Transform(data.Inputs);
        return new LabeledData(inputs, data.Labels, data.ClassCount);
    }
}
