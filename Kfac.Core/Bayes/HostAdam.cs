namespace Kfac.Bayes;

/// <summary>Adam (Kingma and Ba 2015, Algorithm 1) on host double buffers, for the variational parameters that are
/// not network tensors (Bayes by Backprop's rho, the Gamma noise posterior): theta -= lr mhat / (sqrt(vhat) + eps).</summary>
internal sealed class HostAdam
{
    private readonly double[][] _m, _v;
    private int _t;

    public HostAdam(IReadOnlyList<int> sizes, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive");
        _m = sizes.Select(n => new double[n]).ToArray();
        _v = sizes.Select(n => new double[n]).ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public double LearningRate { get; set; }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Epsilon { get; }

    public int StepCount => _t;

    public void Step(IReadOnlyList<double[]> parameters, IReadOnlyList<double[]> gradients)
    {
        _t++;
        double c1 = 1 - Math.Pow(Beta1, _t), c2 = 1 - Math.Pow(Beta2, _t);
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var g = gradients[i];
            var m = _m[i];
            var v = _v[i];
            for (int j = 0; j < p.Length; j++)
            {
                m[j] = Beta1 * m[j] + (1 - Beta1) * g[j];
                v[j] = Beta2 * v[j] + (1 - Beta2) * g[j] * g[j];
                p[j] -= LearningRate * (m[j] / c1) / (Math.Sqrt(v[j] / c2) + Epsilon);
            }
        }
    }
}
