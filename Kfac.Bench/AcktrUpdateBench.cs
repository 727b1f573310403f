using Kfac.Cpu;
using Kfac.Curvature;
using Kfac.Rl.Algorithms;
using Kfac.Rl.Environments;
using Kfac.Rl.Policies;
using Kfac.Rl.Vector;

namespace Kfac.Bench;

/// <summary>
/// `acktr-update`: ACKTR's time per update over A2C's on the same network and batch (issue 15; Wu et al. 2017 report
/// 10-25% more per update). Both learners get the reinforcement-learning example's policy for --env (an MLP 64-64 per
/// head for classic control, the MinAtar conv net + Dense 1024-128 for MinAtar) and batch --envs x --n-steps from real
/// rollouts; only the updates are timed (<see cref="OnPolicyLearner.UpdateSeconds"/>, rollouts excluded). They run
/// interleaved in rounds of one full inverse period (--inverse-interval updates) each, A2C's round then ACKTR's, so a
/// change in the machine's load hits both alike and every ACKTR round holds exactly one refresh. Reports ms/update of
/// each and the ratio per round, the amortised ratio (total ACKTR time / total A2C time) and the median round's,
/// ACKTR's phases, managed bytes per update, and the vectorised runner's env steps per second with random actions.
/// Ten warm-up rounds by default: with two, the tiered JIT was still compiling in the timed rounds (the refresh's double
/// GEMM kernels are first used there), and CartPole's A2C measured 0.84 ms per update against 0.39 after thirty.
/// </summary>
internal sealed class AcktrUpdateBench : IBenchCommand
{
    public string Name => "acktr-update";

    public string Description =>
        "ACKTR vs A2C ms/update on the RL example's network and batch, interleaved by inverse period [--env CartPole-v1|Acrobot-v1|MinAtar/Breakout-v1 " +
        "--envs 16 --n-steps 20 --rounds 10 --warmup-rounds 10 --inverse-interval 10 --inverse-staleness S --damping-style eigenbasis|factored --kl-guard C --threads 1 --runner-seconds 1 --seed 0 --json]";

    private static readonly string[] EnvIds = ["CartPole-v1", "Acrobot-v1", "MinAtar/Breakout-v1"];

    public int Run(BenchArgs args)
    {
        var settings = Settings.Parse(args);
        var result = Measure(settings, line => JsonLine.Print(settings.Json, line));
        JsonLine.Print(settings.Json, result);
        return 0;
    }

    /// <summary>The command's options, checked before anything is built.</summary>
    internal sealed record Settings(string Env, int Envs, int Steps, int Rounds, int WarmupRounds, int Interval, int Staleness,
        DampingStyle DampingStyle, int Threads, double RunnerSeconds, int Seed, bool Json, double? KlGuard = null)
    {
        public static Settings Parse(BenchArgs args)
        {
            string env = args.String("env", "CartPole-v1")!;
            if (Array.IndexOf(EnvIds, env) < 0) throw new ArgumentException($"--env: unknown environment '{env}'; known: {string.Join(", ", EnvIds)}");
            int interval = args.Int("inverse-interval", 10);
            string style = args.String("damping-style", "eigenbasis")!;
            var dampingStyle = style switch
            {
                "eigenbasis" => DampingStyle.Eigenbasis,
                "factored" => DampingStyle.FactoredTikhonov,
                _ => throw new ArgumentException($"--damping-style must be eigenbasis or factored; got '{style}'"),
            };
            var s = new Settings(env, args.Int("envs", 16), args.Int("n-steps", 20), args.Int("rounds", 10), args.Int("warmup-rounds", 10),
                interval, args.Int("inverse-staleness", interval - 1), dampingStyle, args.Int("threads", 1), args.Double("runner-seconds", 1), args.Int("seed", 0),
                args.Flag("json"), args.Double("kl-guard", 0) is var guard and not 0 ? guard : null); // 0: off; a negative C is refused by AcktrOptions.Validate
            Positive("envs", s.Envs);
            Positive("n-steps", s.Steps);
            Positive("rounds", s.Rounds);
            Positive("inverse-interval", s.Interval);
            Positive("threads", s.Threads);
            if (s.WarmupRounds < 1) throw new ArgumentException($"--warmup-rounds must be at least 1 (JIT, buffers, the first refresh); got {s.WarmupRounds}");
            if (!(s.Staleness == 0 || (s.Staleness > 0 && s.Staleness < s.Interval)))
                throw new ArgumentException($"--inverse-staleness must be 0 (synchronous) or in 1 .. --inverse-interval - 1 = {s.Interval - 1}; got {s.Staleness}");
            if (!(s.RunnerSeconds >= 0 && double.IsFinite(s.RunnerSeconds))) throw new ArgumentException($"--runner-seconds must be a finite number >= 0 (0: skip); got {s.RunnerSeconds}");
            return s;
        }

        private static void Positive(string name, int value)
        {
            if (value < 1) throw new ArgumentException($"--{name} must be positive; got {value}");
        }
    }

    /// <summary>The example's policy for <paramref name="env"/> (ReinforcementLearningCommand's MakePolicy).</summary>
    private static ActorCritic MakePolicy(Env env, int seed) => env is MinAtarEnvironment
        ? ActorCritic.MinAtar(env.ObservationShape, env.ActionSpace, seed)
        : ActorCritic.Mlp(env.ObservationShape, env.ActionSpace, seed: seed);

    /// <summary>Runs the rounds (each round's line goes to <paramref name="roundLine"/>) and returns the summary line.</summary>
    internal static Dictionary<string, object> Measure(Settings s, Action<Dictionary<string, object>> roundLine)
    {
        int savedThreads = CpuParallel.MaxThreads;
        CpuParallel.MaxThreads = s.Threads;
        try
        {
            var probe = GymEnvironments.Create(s.Env);
            var a2c = new A2c(MakePolicy(probe, s.Seed), new VectorEnvironment(_ => GymEnvironments.Create(s.Env), s.Envs), new A2cOptions { StepsPerEnv = s.Steps }, s.Seed);
            var acktr = new Acktr(MakePolicy(probe, s.Seed), new VectorEnvironment(_ => GymEnvironments.Create(s.Env), s.Envs),
                new AcktrOptions { StepsPerEnv = s.Steps, ColdUpdates = 0, InverseInterval = s.Interval, InverseStaleness = s.Staleness,
                    DampingStyle = s.DampingStyle, KlGuard = s.KlGuard }, s.Seed);
            long perUpdate = (long)s.Envs * s.Steps, perRound = perUpdate * s.Interval;
            for (int r = 0; r < s.WarmupRounds; r++)
            {
                a2c.Learn(perRound);
                acktr.Learn(perRound);
            }
            double a0 = a2c.UpdateSeconds, k0 = acktr.UpdateSeconds;
            long aBytes0 = a2c.UpdateAllocatedBytes, kBytes0 = acktr.UpdateAllocatedBytes;
            double bg0 = acktr.Curvature.BackgroundRefreshSeconds;
            int bgCount0 = acktr.Curvature.BackgroundRefreshes;
            acktr.Timings.Reset();
            var ratios = new double[s.Rounds];
            for (int r = 0; r < s.Rounds; r++)
            {
                double a = a2c.UpdateSeconds, k = acktr.UpdateSeconds;
                a2c.Learn(perRound);
                acktr.Learn(perRound);
                double aMs = (a2c.UpdateSeconds - a) / s.Interval * 1e3, kMs = (acktr.UpdateSeconds - k) / s.Interval * 1e3;
                ratios[r] = kMs / aMs;
                roundLine(new Dictionary<string, object>
                {
                    ["bench"] = "acktr-update-round", ["round"] = r, ["a2c_ms_per_update"] = aMs, ["acktr_ms_per_update"] = kMs, ["ratio"] = ratios[r],
                });
            }
            int updates = s.Rounds * s.Interval;
            double a2cMs = (a2c.UpdateSeconds - a0) / updates * 1e3, acktrMs = (acktr.UpdateSeconds - k0) / updates * 1e3;
            var sortedRatios = (double[])ratios.Clone();
            Array.Sort(sortedRatios);
            var line = new Dictionary<string, object>
            {
                ["bench"] = "acktr-update", ["env"] = s.Env, ["envs"] = s.Envs, ["n_steps"] = s.Steps, ["batch"] = perUpdate,
                ["inverse_interval"] = s.Interval, ["inverse_staleness"] = s.Staleness,
                ["damping_style"] = s.DampingStyle == DampingStyle.Eigenbasis ? "eigenbasis" : "factored", ["threads"] = s.Threads, ["rounds"] = s.Rounds,
                ["a2c_ms_per_update"] = a2cMs, ["acktr_ms_per_update"] = acktrMs, ["ratio_amortised"] = acktrMs / a2cMs,
                ["ratio_median_round"] = Timing.Median(sortedRatios), ["ratio_min_round"] = sortedRatios[0], ["ratio_max_round"] = sortedRatios[^1],
                ["a2c_bytes_per_update"] = (double)(a2c.UpdateAllocatedBytes - aBytes0) / updates,
                ["acktr_bytes_per_update"] = (double)(acktr.UpdateAllocatedBytes - kBytes0) / updates,
            };
            foreach (var (phase, seconds) in acktr.Timings.All())
            {
                string name = PhaseName(phase);
                line[$"acktr_{name}_ms"] = seconds / updates * 1e3;
                line[$"acktr_{name}_bytes"] = (double)acktr.Timings.AllocatedBytes(phase) / updates;
            }
            int refreshes = acktr.Curvature.BackgroundRefreshes - bgCount0;
            line["background_refreshes"] = refreshes;
            line["background_refresh_ms"] = refreshes > 0 ? (acktr.Curvature.BackgroundRefreshSeconds - bg0) / refreshes * 1e3 : 0.0;
            if (s.RunnerSeconds > 0)
            {
                var (stepsPerSecond, steps) = RunnerSpeed.Measure(new VectorEnvironment(_ => GymEnvironments.Create(s.Env), s.Envs), s.RunnerSeconds, s.Seed);
                line["runner_env_steps_per_s"] = stepsPerSecond;
                line["runner_env_steps"] = steps;
            }
            return line;
        }
        finally
        {
            CpuParallel.MaxThreads = savedThreads;
        }
    }

    /// <summary>"forward", "fisher_backward", ...: the phase's name in snake case.</summary>
    private static string PhaseName(AcktrPhase phase) =>
        string.Concat(phase.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
