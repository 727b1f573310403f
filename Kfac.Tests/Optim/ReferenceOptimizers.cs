namespace Kfac.Tests.Optim;

/// <summary>
/// Independent double-precision references, written element by element from the update rules in PyTorch's
/// documentation (torch.optim.SGD, Adam, AdamW, RMSprop), sharing no code with Kfac.Optim.
/// </summary>
public interface IReferenceOptimizer
{
    void Step(double[] p, double[] g);
}

internal sealed class ReferenceSgd(double lr, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0) : IReferenceOptimizer
{
    private double[]? _buf;

    public void Step(double[] p, double[] g)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double d = g[i] + weightDecay * p[i];
            if (momentum != 0)
            {
                _buf ??= new double[p.Length];
                // PyTorch initialises the buffer lazily with the first d (no dampening on that step).
                _buf[i] = _first ? d : momentum * _buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * _buf[i] : _buf[i];
            }
            p[i] -= lr * d;
        }
        _first = false;
    }

    private bool _first = true;
}

internal sealed class ReferenceAdam(double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool decoupled = false) : IReferenceOptimizer
{
    private double[]? _m, _v;
    private int _t;

    public void Step(double[] p, double[] g)
    {
        _m ??= new double[p.Length];
        _v ??= new double[p.Length];
        _t++;
        double bc1 = 1 - Math.Pow(beta1, _t), bc2 = 1 - Math.Pow(beta2, _t);
        for (int i = 0; i < p.Length; i++)
        {
            double d = g[i];
            if (decoupled) p[i] *= 1 - lr * weightDecay;
            else d += weightDecay * p[i];
            _m[i] = beta1 * _m[i] + (1 - beta1) * d;
            _v[i] = beta2 * _v[i] + (1 - beta2) * d * d;
            double denom = Math.Sqrt(_v[i]) / Math.Sqrt(bc2) + eps;
            p[i] -= lr / bc1 * _m[i] / denom;
        }
    }
}

internal sealed class ReferenceRmsProp(double lr, double alpha = 0.99, double eps = 1e-8, double momentum = 0, bool centered = false, double weightDecay = 0) : IReferenceOptimizer
{
    private double[]? _sq, _avg, _buf;

    public void Step(double[] p, double[] g)
    {
        _sq ??= new double[p.Length];
        _avg ??= new double[p.Length];
        _buf ??= new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double d = g[i] + weightDecay * p[i];
            _sq[i] = alpha * _sq[i] + (1 - alpha) * d * d;
            double denom;
            if (centered)
            {
                _avg[i] = alpha * _avg[i] + (1 - alpha) * d;
                denom = Math.Sqrt(_sq[i] - _avg[i] * _avg[i]) + eps;
            }
            else denom = Math.Sqrt(_sq[i]) + eps;
            if (momentum > 0)
            {
                _buf[i] = momentum * _buf[i] + d / denom;
                p[i] -= lr * _buf[i];
            }
            else p[i] -= lr * d / denom;
        }
    }
}

internal static class ReferenceRun
{
    public static List<double[]> Run(IReferenceOptimizer optimizer, int steps, double[]? start = null)
    {
        var p = (double[])(start ?? OptimTestProblem.Start).Clone();
        var trajectory = new List<double[]>();
        for (int k = 0; k < steps; k++)
        {
            optimizer.Step(p, OptimTestProblem.Gradient(p));
            trajectory.Add((double[])p.Clone());
        }
        return trajectory;
    }
}
