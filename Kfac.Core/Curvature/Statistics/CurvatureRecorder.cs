using Kfac.Tensors;

namespace Kfac.Curvature;

/// <summary>
/// Collects <see cref="LayerCapture"/>s during a forward pass (layers call <see cref="Record"/> when one is
/// active on their thread) and, while <see cref="CapturingGradients"/> is on, the layers' output gradients
/// during backward passes through that forward pass (via grad hooks: statistics are a first-class part of
/// the backward pass). Captures are in forward order, which is the chain order the block-tridiagonal
/// approximation uses.
/// <code>
/// using (recorder.Activate()) output = model.Forward(x);
/// recorder.CapturingGradients = true;
/// loss.Value(output, sampledTargets).Backward(new BackwardOptions { AccumulateLeafGradients = false, RetainGraph = true });
/// recorder.CapturingGradients = false;
/// </code>
/// </summary>
public sealed class CurvatureRecorder
{
    [ThreadStatic] private static CurvatureRecorder? _current;

    private readonly List<LayerCapture> _captures = [];

    /// <summary>The recorder active on this thread, if any (layers consult it in Forward).</summary>
    public static CurvatureRecorder? Current => _current;

    /// <summary>The captures of the current batch, in forward order.</summary>
    public IReadOnlyList<LayerCapture> Captures => _captures;

    /// <summary>While true, backward passes append each recorded layer's output gradient to its capture.</summary>
    public bool CapturingGradients { get; set; }

    /// <summary>Makes this recorder current on this thread until the returned handle is disposed (which restores the previous one).</summary>
    public Activation Activate()
    {
        var previous = _current;
        _current = this;
        return new Activation(previous);
    }

    /// <summary>Forgets the captures of the previous batch.</summary>
    public void Clear() => _captures.Clear();

    /// <summary>Called by a layer in Forward: remembers (tag, input, output) and hooks the output's gradient.</summary>
    public void Record(LayerTag tag, Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var capture = new LayerCapture(tag, input, output);
        _captures.Add(capture);
        if (output.RequiresGrad)
            output.RegisterGradHook(g =>
            {
                if (CapturingGradients) capture.AddOutputGradient(g);
            });
    }

    /// <summary>Returned by <see cref="Activate"/>; disposing it makes the previously current recorder current again.</summary>
    public readonly struct Activation(CurvatureRecorder? previous) : IDisposable
    {
        /// <summary>Restores the recorder that was current before <see cref="Activate"/>.</summary>
        public void Dispose() => _current = previous;
    }
}
