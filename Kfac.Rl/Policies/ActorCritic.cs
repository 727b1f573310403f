using Kfac.Layers;
using Kfac.Rl.Distributions;
using Kfac.Rl.Environments;
using Kfac.Tensors;

namespace Kfac.Rl.Policies;

/// <summary>
/// Policy and value networks: a torso (or one each for actor and critic), a linear policy head (logits for a
/// Discrete space, means for a Box with a learned state-independent log-std initialised to 0) and a linear value
/// head. <see cref="Evaluate"/> returns both outputs of one pass; with a shared torso the two heads read the same
/// features (baselines' A2C/ACKTR "shared" networks), with separate torsos they do not (SB3's default MlpPolicy).
/// Parameter names follow PyTorch (e.g. "policy_torso.0.weight", "log_std").
/// </summary>
public sealed class ActorCritic : Module
{
    private readonly Module _policyTorso;
    private readonly Module? _valueTorso;
    private readonly Dense _policyHead;
    private readonly Dense _valueHead;
    private Tensor? _logStd;

    public ActorCritic(Module policyTorso, Module? valueTorso, int features, ActionSpace actionSpace, int[] observationShape, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(policyTorso);
        ArgumentNullException.ThrowIfNull(actionSpace);
        ArgumentNullException.ThrowIfNull(observationShape);
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, "must be positive");
        ActionSpace = actionSpace;
        ObservationShape = observationShape.ToArray();
        var rng = new System.Random(seed + 7919);
        _policyTorso = RegisterModule("policy_torso", policyTorso);
        if (valueTorso is not null) _valueTorso = RegisterModule("value_torso", valueTorso);
        int outputs = actionSpace.IsDiscrete ? actionSpace.Count : actionSpace.Dimension;
        _policyHead = RegisterModule("policy_head", new Dense(features, outputs, init: new OrthogonalInitializer(0.01), rng: rng));
        _valueHead = RegisterModule("value_head", new Dense(features, 1, init: new OrthogonalInitializer(1.0), rng: rng));
        if (!actionSpace.IsDiscrete)
        {
            using var outside = TensorScope.Suspend();
            _logStd = RegisterParameter("log_std", Tensor.Zeros(new Shape(actionSpace.Dimension)));
        }
    }

    public ActionSpace ActionSpace { get; }

    public int[] ObservationShape { get; }

    public bool SharedTorso => _valueTorso is null;

    /// <summary>The learned log standard deviation [D] of a Box policy (null for Discrete).</summary>
    public Tensor? LogStd => _logStd;

    /// <summary>
    /// The largest log standard deviation the learners let the policy keep: log(High - Low) for a bounded Box
    /// (+infinity for an unbounded one or a Discrete space). Actions are clipped to the box before they reach the
    /// environment, so a standard deviation beyond the box's width only turns the policy into a coin flip between
    /// the two bounds: its gradient no longer tells the mean anything, and the mean's Fisher (1 / sigma^2) falls
    /// below any fixed damping. Without the ceiling ACKTR on Pendulum-v1 drove log sigma from 0 to 6.6 (gamma 0.95)
    /// and to 50.4 (gamma 0.99) in 1M steps while the mean stopped learning (docs/BENCHMARKS.md, Pendulum).
    /// </summary>
    public double LogStdCeiling =>
        ActionSpace.IsDiscrete || !double.IsFinite(ActionSpace.High - ActionSpace.Low) ? double.PositiveInfinity : Math.Log(ActionSpace.High - ActionSpace.Low);

    /// <summary>Projects the log standard deviation onto (-infinity, <see cref="LogStdCeiling"/>] in place (no
    /// graph, no allocation on the CPU); the on-policy learners call it after every update. Returns the number of
    /// coordinates it lowered.</summary>
    public int ClampLogStd()
    {
        if (_logStd is null) return 0;
        double ceiling = LogStdCeiling;
        if (double.IsPositiveInfinity(ceiling)) return 0;
        int lowered = 0;
        if (_logStd.Device == Device.Cpu && _logStd.DType == DType.Float32)
        {
            var span = _logStd.AsSpan<float>();
            float c = (float)ceiling;
            for (int i = 0; i < span.Length; i++)
                if (span[i] > c) { span[i] = c; lowered++; }
            return lowered;
        }
        var values = _logStd.ToDoubleArray();
        for (int i = 0; i < values.Length; i++)
            if (values[i] > ceiling) { values[i] = ceiling; lowered++; }
        if (lowered > 0)
        {
            using var outside = TensorScope.Suspend();
            _logStd.CopyFrom(Tensor.FromDoubles(values, _logStd.Shape, _logStd.DType, _logStd.Device));
        }
        return lowered;
    }

    public Dense PolicyHead => _policyHead;

    public Dense ValueHead => _valueHead;

    /// <summary>Policy output (logits or means) and the value V(s) as [B].</summary>
    public (Tensor PolicyOutput, Tensor Value) Evaluate(Tensor observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        int expected = ObservationShape.Aggregate(1, (a, b) => a * b);
        if (observations.Rank < 2 || observations.Numel != observations.Shape[0] * expected)
            throw new ShapeMismatchException($"ActorCritic: observations have shape {observations.Shape}, expected [batch, {string.Join(", ", ObservationShape)}]", nameof(observations));
        var input = observations.Reshape([observations.Shape[0], .. ObservationShape]);
        var features = _policyTorso.Forward(input);
        var policy = _policyHead.Forward(features);
        var valueFeatures = _valueTorso is null ? features : _valueTorso.Forward(input);
        var value = _valueHead.Forward(valueFeatures).Reshape(-1);
        return (policy, value);
    }

    /// <summary>The policy output only (Module's contract).</summary>
    public override Tensor Forward(Tensor input) => Evaluate(input).PolicyOutput;

    /// <summary>The value only.</summary>
    public Tensor Value(Tensor observations) => Evaluate(observations).Value;

    /// <summary>A categorical distribution over the logits (Discrete spaces).</summary>
    public Categorical CategoricalOf(Tensor policyOutput)
    {
        if (!ActionSpace.IsDiscrete) throw new InvalidOperationException($"the action space {ActionSpace} is not discrete");
        return new Categorical(policyOutput);
    }

    /// <summary>A diagonal Gaussian with the learned log-std (Box spaces).</summary>
    public DiagonalGaussian GaussianOf(Tensor policyOutput)
    {
        if (_logStd is null) throw new InvalidOperationException($"the action space {ActionSpace} is not continuous");
        return new DiagonalGaussian(policyOutput, _logStd);
    }

    protected override void OnParametersReplaced() => _logStd = OptionalParameter("log_std");

    /// <summary>MLP torso(s) for state vectors: Dense + activation per hidden width (SB3's MlpPolicy: [64, 64],
    /// tanh, separate actor and critic; baselines' "mlp": the same widths, shared). Orthogonal init, gain sqrt 2.</summary>
    public static ActorCritic Mlp(int[] observationShape, ActionSpace actionSpace, int[]? hidden = null, bool shared = false,
        Activation activation = Activation.Tanh, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(observationShape);
        hidden ??= [64, 64];
        if (hidden.Length == 0 || hidden.Any(h => h < 1)) throw new ArgumentException($"hidden widths must be positive and non-empty, got [{string.Join(", ", hidden)}]", nameof(hidden));
        int inputs = observationShape.Aggregate(1, (a, b) => a * b);
        var rng = new System.Random(seed);
        Sequential Torso()
        {
            var s = new Sequential();
            int width = inputs;
            foreach (var h in hidden)
            {
                s.Add(new Dense(width, h, init: new OrthogonalInitializer(Math.Sqrt(2)), rng: rng));
                s.Add(Activations.Create(activation));
                width = h;
            }
            return s;
        }
        var policy = Torso();
        var value = shared ? null : Torso();
        return new ActorCritic(policy, value, hidden[^1], actionSpace, [inputs], seed);
    }

    /// <summary>The MinAtar network (Young &amp; Tian 2019, examples/AC_lambda.py and dqn.py): Conv2d(C, 16, 3x3,
    /// stride 1) + ReLU, flatten (16 x 8 x 8 = 1024), Dense(1024, 128) + ReLU, shared by the heads.</summary>
    public static ActorCritic MinAtar(int[] observationShape, ActionSpace actionSpace, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(observationShape);
        if (observationShape.Length != 3) throw new ArgumentException($"MinAtar observations are [channels, 10, 10], got [{string.Join(", ", observationShape)}]", nameof(observationShape));
        var rng = new System.Random(seed);
        int c = observationShape[0], h = observationShape[1] - 2, w = observationShape[2] - 2;
        var torso = new Sequential(
            new Conv2d(c, 16, 3, init: new OrthogonalInitializer(Math.Sqrt(2)), rng: rng),
            new Relu(),
            new Flatten(),
            new Dense(16 * h * w, 128, init: new OrthogonalInitializer(Math.Sqrt(2)), rng: rng),
            new Relu());
        return new ActorCritic(torso, null, 128, actionSpace, observationShape, seed);
    }
}
