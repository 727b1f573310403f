using Kfac.Curvature;
using Kfac.Losses;
using Kfac.Tensors;

namespace Kfac.Bayes;

/// <summary>
/// The shared step of the sampling-based variational optimizers: for each of P particles draw w ~ q, put it in the
/// network (<see cref="WeightSampler"/>), run forward and backward of the mini-batch mean loss at w, let the
/// optimizer collect what it needs at that sample (<see cref="OnParticle"/>: K-FAC statistics, reparameterisation
/// noise), and average the gradients; then <see cref="Update"/> moves the variational parameters. The mean is
/// restored exactly after each particle; a non-finite loss or gradient skips the update (nothing changes).
/// </summary>
public abstract class VariationalOptimizer
{
    private readonly WeightSampler _sampler;
    private readonly double[][] _sample, _grad, _gradSum, _gradSquareSum, _sampleSum;

    /// <summary>Validates <paramref name="options"/> and allocates the host buffers and sampler for <paramref name="parameters"/>.</summary>
    protected VariationalOptimizer(IReadOnlyList<Tensor> parameters, VariationalOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _sampler = new WeightSampler(parameters);
        Parameters = _sampler.Parameters;
        _sample = HostValues.Like(Parameters);
        _grad = HostValues.Like(Parameters);
        _gradSum = HostValues.Like(Parameters);
        _gradSquareSum = HostValues.Like(Parameters);
        _sampleSum = HostValues.Like(Parameters);
        Rng = new Kfac.Sampling.Xoshiro256Random(options.Seed); // a seeded System.Random runs the legacy generator, several times slower
    }

    /// <summary>The validated options.</summary>
    public VariationalOptions Options { get; }

    /// <summary>The network parameters; their values are the posterior mean.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current variational posterior q.</summary>
    public abstract IWeightPosterior Posterior { get; }

    /// <summary>A short identifier for logs ("noisy-kfac", "noisy-adam", "bbb", "adam").</summary>
    public abstract string Name { get; }

    /// <summary>Steps whose update was applied.</summary>
    public int StepCount { get; private set; }

    /// <summary>Steps skipped because a loss or gradient was not finite.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>The host generator of the weight samples.</summary>
    protected System.Random Rng { get; }

    /// <summary>True when the forward pass must run with a <see cref="CurvatureRecorder"/> active.</summary>
    protected virtual CurvatureRecorder? Recorder => null;

    /// <summary>True when the recorder (if any) must also capture the loss's own backward pass (the true-label output
    /// gradients, e.g. for per-example squared gradients).</summary>
    protected virtual bool CaptureLossGradients => false;

    /// <summary>A hook on the dense layers' pre-activations for the forward pass of each particle (null: none), e.g.
    /// local reparameterisation's per-example noise.</summary>
    protected virtual Func<DenseTag, Tensor, Tensor, Tensor>? OutputHook => null;

    /// <summary>Writes the weights of the next forward pass into <paramref name="into"/> (by default a posterior sample).</summary>
    protected virtual void DrawSample(double[][] into) => Posterior.Sample(Rng, into);

    /// <summary>Called at the start of every step, before the first particle.</summary>
    protected virtual void BeginStep() { }

    /// <summary>Called at each particle after the loss's backward pass, with the sample still in the parameters.</summary>
    protected virtual void OnParticle(Tensor output, ILoss loss, double[][] sample, double[][] gradient) { }

    /// <summary>Moves the variational parameters, given the particle averages of the gradient of the mini-batch mean
    /// loss, of its elementwise square, and of the samples.</summary>
    protected abstract void Update(double[][] meanGradient, double[][] meanSquaredGradient, double[][] meanSample);

    /// <param name="forward">the network (its parameters are <see cref="Parameters"/>).</param>
    /// <param name="observeOutput">sees each particle's output (e.g. residuals for the noise model), in the step's scope.</param>
    public VariationalStepResult Step(Func<Tensor, Tensor> forward, Tensor inputs, Tensor targets, ILoss loss, Action<Tensor>? observeOutput = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(loss);
        int particles = Options.Particles;
        foreach (var a in new[] { _gradSum, _gradSquareSum, _sampleSum }) foreach (var b in a) Array.Clear(b);
        double lossSum = 0;
        bool finite = true;
        BeginStep();
        for (int k = 0; k < particles && finite; k++)
        {
            DrawSample(_sample);
            using var scope = TensorScope.Begin();
            using (_sampler.Apply(_sample))
            {
                HostValues.ZeroGradients(Parameters);
                var recorder = Recorder;
                Tensor output;
                recorder?.Clear();
                using (OutputHook is { } hook ? DenseOutputHook.Activate(hook) : default)
                {
                    if (recorder is null) output = forward(inputs);
                    else
                    {
                        using (recorder.Activate()) output = forward(inputs);
                    }
                }
                observeOutput?.Invoke(output);
                var value = loss.Value(output, targets);
                double l = value.Item();
                if (!double.IsFinite(l))
                {
                    finite = false;
                    break;
                }
                lossSum += l;
                if (recorder is not null) recorder.CapturingGradients = CaptureLossGradients;
                try
                {
                    value.Backward(retainGraph: recorder is not null);
                }
                finally
                {
                    if (recorder is not null) recorder.CapturingGradients = false;
                }
                HostValues.ReadGradients(Parameters, _grad);
                if (!AllFinite(_grad))
                {
                    finite = false;
                    break;
                }
                OnParticle(output, loss, _sample, _grad);
            }
            for (int i = 0; i < _grad.Length; i++)
                for (int j = 0; j < _grad[i].Length; j++)
                {
                    double g = _grad[i][j];
                    _gradSum[i][j] += g;
                    _gradSquareSum[i][j] += g * g;
                    _sampleSum[i][j] += _sample[i][j];
                }
        }
        if (!finite)
        {
            SkippedSteps++;
            return new VariationalStepResult(double.NaN, false);
        }
        double inv = 1.0 / particles;
        foreach (var a in new[] { _gradSum, _gradSquareSum, _sampleSum })
            foreach (var b in a)
                for (int j = 0; j < b.Length; j++) b[j] *= inv;
        StepCount++;
        Update(_gradSum, _gradSquareSum, _sampleSum);
        return new VariationalStepResult(lossSum * inv, true);
    }

    /// <summary>The mean (the parameters' values) on the host.</summary>
    protected void ReadMean(double[][] into)
    {
        for (int i = 0; i < Parameters.Count; i++) HostValues.Read(Parameters[i], into[i]);
    }

    /// <summary>Writes host values <paramref name="from"/> into the parameters (the new mean).</summary>
    protected void WriteMean(double[][] from)
    {
        for (int i = 0; i < Parameters.Count; i++) HostValues.Write(from[i], Parameters[i]);
    }

    private static bool AllFinite(double[][] g)
    {
        foreach (var a in g)
            foreach (var x in a)
                if (!double.IsFinite(x)) return false;
        return true;
    }
}
