using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Kfac.Cpu;
using Kfac.Rl.Algorithms;
using Kfac.Rl.Environments;
using Kfac.Rl.Policies;
using Kfac.Rl.Vector;
using Kfac.Serialization;
using Kfac.Training;

namespace Kfac.Examples.ReinforcementLearning;

/// <summary>
/// The command line of the reinforcement-learning example: A2C, PPO and ACKTR on gymnasium's classic-control tasks
/// and MinAtar, greedy evaluation of a saved policy, and two timing modes (--runner-speed, --update-timing). Run it
/// through <see cref="ExampleMain.Invoke"/>: every option is checked (<see cref="Validate"/>) before an environment or
/// a network is built, and a user error is one line <c>error: ...</c> with exit code 2.
/// </summary>
public static class ReinforcementLearningCommand
{
    /// <summary>ACKTR's defaults (the options record's own; the flags given replace single fields).</summary>
    private static readonly AcktrOptions AcktrDefaults = new();

    /// <summary>The algorithms --algo accepts.</summary>
    public static readonly string[] Algorithms = ["a2c", "ppo", "acktr"];

    /// <summary>Builds the root command with its options and action.</summary>
    public static RootCommand Create()
    {
        var env = new Option<string>("--env") { Description = string.Join(" | ", GymEnvironments.Ids), DefaultValueFactory = _ => "CartPole-v1" };
        var algo = new Option<string>("--algo") { Description = "a2c | ppo | acktr", DefaultValueFactory = _ => "a2c" };
        var timesteps = new Option<long>("--timesteps") { Description = "environment steps (over all copies)", DefaultValueFactory = _ => 100_000 };
        var envs = new Option<int?>("--envs") { Description = $"parallel environment copies [default: the --hyper setting's; {TunedSettings.DefaultEnvs} for default and zoo]" };
        var seed = new Option<int>("--seed") { Description = "seed of initialisation, environments (copy i gets seed + i) and action sampling", DefaultValueFactory = _ => 0 };
        var log = new Option<string?>("--log") { Description = "JSON-lines log: env_steps, seconds, updates, mean_return (last 100 episodes), losses" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "save policy + optimizer here (safetensors) at the end; with --evaluate, the policy to load" };
        var evaluate = new Option<bool>("--evaluate") { Description = "run the --checkpoint policy greedily and report mean and std of the returns" };
        var episodes = new Option<int>("--episodes") { Description = "--evaluate: episodes to run", DefaultValueFactory = _ => 100 };
        var hyper = new Option<string>("--hyper") { Description = "tuned (per-environment settings measured over 5-10 seeds, Kfac.Rl.Algorithms.TunedSettings) | default (the options' own: baselines A2C and ACKTR, SB3 PPO) | zoo (rl-baselines3-zoo's CartPole-v1 A2C / PPO settings)", DefaultValueFactory = _ => "tuned" };
        var shared = new Option<bool>("--shared") { Description = "one torso for actor and critic (baselines' style; SB3's MlpPolicy is separate)" };
        var stopAt = new Option<double?>("--stop-at-return") { Description = "stop once the mean return of the last 100 episodes reaches this" };
        var logEvery = new Option<long>("--log-every") { Description = "environment steps between log lines", DefaultValueFactory = _ => 5000 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for the kernels (small networks: 1)", DefaultValueFactory = _ => 1 };
        var nSteps = new Option<int?>("--n-steps") { Description = "override: steps per environment per rollout" };
        var batchSize = new Option<int?>("--batch-size") { Description = "override (PPO): minibatch size" };
        var epochs = new Option<int?>("--epochs") { Description = "override (PPO): epochs per rollout" };
        var gamma = new Option<double?>("--gamma") { Description = "override: discount" };
        var gaeLambda = new Option<double?>("--gae-lambda") { Description = "override: GAE lambda" };
        var lr = new Option<double?>("--lr") { Description = "override: learning rate" };
        var lrSchedule = new Option<string?>("--lr-schedule") { Description = "override: constant | linear (to 0 over --timesteps) [default: A2C and PPO constant, ACKTR linear]" };
        var normalizeReward = new Option<bool?>("--normalize-reward") { Description = "override: scale rewards by the running std of the discounted return (SB3's VecNormalize reward part)" };
        var entCoef = new Option<double?>("--ent-coef") { Description = "override: entropy coefficient" };
        var updateTiming = new Option<int?>("--update-timing") { Description = "time N updates of A2C and of ACKTR on the same network and batch (--envs x --n-steps, default 20) and print the ratio" };
        var klClip = new Option<double?>("--kl-clip") { Description = $"ACKTR: trust-region bound delta on the predicted KL change per update [default: {AcktrDefaults.KlClip}]" };
        var klGuard = new Option<double?>("--kl-guard") { Description = "ACKTR: after each update measure the policy's KL on the batch and halve the update (up to 3 times, then undo it) while it exceeds this multiple of delta [default: off]" };
        var damping = new Option<double?>("--damping") { Description = $"ACKTR: damping added to the products of the factors' eigenvalues [default: {AcktrDefaults.Damping}]" };
        var inverseInterval = new Option<int?>("--inverse-interval") { Description = $"ACKTR: recompute the factors' eigendecompositions every N updates (baselines: every update, asynchronously; PyTorch port: 10) [default: the --hyper setting's; {AcktrDefaults.InverseInterval}]" };
        var inverseStaleness = new Option<int?>("--inverse-staleness") { Description = "ACKTR: compute each refresh's eigendecompositions on a background thread and install them S updates later, exactly (0: synchronous; must be below the inverse interval; default: the inverse interval - 1)" };
        var dampingStyle = new Option<string>("--damping-style") { Description = "ACKTR: eigenbasis ((A (x) G + damping I)^-1 from eigendecompositions, baselines') | factored (K-FAC's pi-damped Cholesky inverses, gamma = sqrt(damping))", DefaultValueFactory = _ => "eigenbasis" };
        var runnerSpeed = new Option<double?>("--runner-speed") { Description = "measure the vectorised runner alone: random actions for this many seconds, print env steps per second" };

        var root = new RootCommand("A2C / PPO on gymnasium classic control and MinAtar (Kfac.Rl)")
        {
            env, algo, timesteps, envs, seed, log, checkpoint, evaluate, episodes, hyper, shared, stopAt, logEvery, threads,
            nSteps, batchSize, epochs, gamma, gaeLambda, lr, lrSchedule, entCoef, normalizeReward, runnerSpeed, updateTiming, inverseInterval, inverseStaleness, klClip, damping,
            dampingStyle, klGuard,
        };
        root.SetAction(parse =>
        {
            Validate(parse);
            CpuParallel.MaxThreads = Math.Max(1, parse.GetValue(threads));
            string envId = parse.GetValue(env)!;
            string h = parse.GetValue(hyper)!, algorithm = parse.GetValue(algo)!;
            var tunedA2c = TunedSettings.A2c(envId);
            var tunedPpo = TunedSettings.Ppo(envId);
            var tunedAcktr = TunedSettings.Acktr(envId);
            bool tuned = h == "tuned", zoo = h == "zoo";
            var a2cBase = tuned ? tunedA2c.Options : zoo ? A2cOptions.ZooCartPole : new A2cOptions();
            var ppoBase = tuned ? tunedPpo.Options : zoo ? PpoOptions.ZooCartPole : new PpoOptions();
            var acktrBase = tuned ? tunedAcktr.Options : AcktrDefaults;
            int count = parse.GetValue(envs) ?? (!tuned ? TunedSettings.DefaultEnvs : algorithm switch
            {
                "a2c" => tunedA2c.Envs,
                "ppo" => tunedPpo.Envs,
                _ => tunedAcktr.Envs,
            });
            int s = parse.GetValue(seed);
            var probe = GymEnvironments.Create(envId);
            ActorCritic MakePolicy() => GymEnvironments.IsMinAtar(probe)
                ? ActorCritic.MinAtar(probe.ObservationShape, probe.ActionSpace, s)
                : ActorCritic.Mlp(probe.ObservationShape, probe.ActionSpace, shared: parse.GetValue(shared), seed: s);

            if (parse.GetValue(evaluate))
            {
                string path = parse.GetValue(checkpoint)!;
                var policy = MakePolicy();
                using (var contents = Checkpoint.Load(path))
                {
                    try
                    {
                        policy.LoadStateDict(contents.Model);
                    }
                    catch (ArgumentException e)
                    {
                        // The file is a checkpoint, but not of this --env's policy (its tensors' names or shapes differ).
                        throw new UsageException($"--checkpoint {path} does not hold a policy for --env {envId}: {e.Message}", e);
                    }
                }
                var returns = Evaluation.Greedy(policy, () => GymEnvironments.Create(envId), parse.GetValue(episodes), s + 1_000_000);
                double mean = returns.Average();
                double std = Math.Sqrt(returns.Select(r => (r - mean) * (r - mean)).Average());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{envId}: {returns.Length} greedy episodes, mean return {mean:F2}, std {std:F2}, min {returns.Min():F1}, max {returns.Max():F1}"));
                return 0;
            }

            var vec = new VectorEnvironment(_ => GymEnvironments.Create(envId), count);
            if (parse.GetValue(runnerSpeed) is double seconds)
            {
                var (stepsPerSecond, steps) = RunnerSpeed.Measure(vec, seconds, s);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{envId} x {count}: {steps} env steps in {seconds} s of stepping, {stepsPerSecond:F0} env steps/s (random actions, no policy)"));
                return 0;
            }
            if (parse.GetValue(updateTiming) is int timedUpdates)
            {
                int steps = parse.GetValue(nSteps) ?? 20;
                var a2c = Checked(() => new A2c(MakePolicy(), vec, new A2cOptions { StepsPerEnv = steps }, s));
                int interval = parse.GetValue(inverseInterval) ?? AcktrDefaults.InverseInterval, staleness = Staleness(parse, interval);
                var acktr = Checked(() => new Acktr(MakePolicy(), new VectorEnvironment(_ => GymEnvironments.Create(envId), count),
                    new AcktrOptions { StepsPerEnv = steps, ColdUpdates = 0, InverseInterval = interval, InverseStaleness = staleness, DampingStyle = Style(parse) }, s));
                long perUpdate = (long)count * steps;
                a2c.Learn(perUpdate * 10);   // warm-up (JIT, buffers)
                acktr.Learn(perUpdate * 10);
                double a0 = a2c.UpdateSeconds, k0 = acktr.UpdateSeconds;
                acktr.Timings.Reset();
                double bg0 = acktr.Curvature.BackgroundRefreshSeconds;
                int bgCount0 = acktr.Curvature.BackgroundRefreshes;
                // Interleaved in chunks of 10 updates, so a change in the machine's load hits both alike.
                for (int done = 0; done < timedUpdates; done += 10)
                {
                    int chunk = Math.Min(10, timedUpdates - done);
                    a2c.Learn(perUpdate * chunk);
                    acktr.Learn(perUpdate * chunk);
                }
                double a2cMs = (a2c.UpdateSeconds - a0) / timedUpdates * 1e3, acktrMs = (acktr.UpdateSeconds - k0) / timedUpdates * 1e3;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{envId}, batch {count} envs x {steps} steps = {perUpdate}: A2C {a2cMs:F3} ms/update, ACKTR {acktrMs:F3} ms/update (inverses every {interval} updates, staleness {staleness}), ratio {acktrMs / a2cMs:F2}"));
                Console.WriteLine("ACKTR ms/update by phase: " + string.Join(", ", acktr.Timings.All().Select(p =>
                    string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Seconds / timedUpdates * 1e3:F3}"))));
                if (acktr.Curvature.BackgroundRefreshes > bgCount0)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"background eigendecompositions: {acktr.Curvature.BackgroundRefreshes - bgCount0} installed, {(acktr.Curvature.BackgroundRefreshSeconds - bg0) / (acktr.Curvature.BackgroundRefreshes - bgCount0) * 1e3:F3} ms each on their thread"));
                return 0;
            }
            var net = MakePolicy();
            if (tuned)
                Console.WriteLine($"setting (--hyper tuned): {count} envs; " + algorithm switch
                {
                    "a2c" => tunedA2c.Source,
                    "ppo" => tunedPpo.Source,
                    _ => tunedAcktr.Source,
                });
            var a2cOptions = a2cBase with
            {
                StepsPerEnv = parse.GetValue(nSteps) ?? a2cBase.StepsPerEnv,
                Gamma = parse.GetValue(gamma) ?? a2cBase.Gamma,
                GaeLambda = parse.GetValue(gaeLambda) ?? a2cBase.GaeLambda,
                LearningRate = parse.GetValue(lr) ?? a2cBase.LearningRate,
                LinearLearningRate = Linear(parse) ?? a2cBase.LinearLearningRate,
                EntropyCoefficient = parse.GetValue(entCoef) ?? a2cBase.EntropyCoefficient,
                NormalizeReward = parse.GetValue(normalizeReward) ?? a2cBase.NormalizeReward,
            };
            var ppoOptions = ppoBase with
            {
                StepsPerEnv = parse.GetValue(nSteps) ?? ppoBase.StepsPerEnv,
                BatchSize = parse.GetValue(batchSize) ?? ppoBase.BatchSize,
                Epochs = parse.GetValue(epochs) ?? ppoBase.Epochs,
                Gamma = parse.GetValue(gamma) ?? ppoBase.Gamma,
                GaeLambda = parse.GetValue(gaeLambda) ?? ppoBase.GaeLambda,
                LearningRate = parse.GetValue(lr) ?? ppoBase.LearningRate,
                LinearLearningRate = Linear(parse) ?? ppoBase.LinearLearningRate,
                EntropyCoefficient = parse.GetValue(entCoef) ?? ppoBase.EntropyCoefficient,
                NormalizeReward = parse.GetValue(normalizeReward) ?? ppoBase.NormalizeReward,
            };
            int acktrInterval = parse.GetValue(inverseInterval) ?? acktrBase.InverseInterval;
            OnPolicyLearner learner = Checked<OnPolicyLearner>(() => parse.GetValue(algo) switch
            {
                "a2c" => new A2c(net, vec, a2cOptions, s),
                "ppo" => new Ppo(net, vec, ppoOptions, s),
                "acktr" => new Acktr(net, vec, acktrBase with
                {
                    StepsPerEnv = parse.GetValue(nSteps) ?? acktrBase.StepsPerEnv,
                    InverseInterval = acktrInterval,
                    InverseStaleness = Staleness(parse, acktrInterval),
                    KlClip = parse.GetValue(klClip) ?? acktrBase.KlClip,
                    KlGuard = parse.GetValue(klGuard) ?? acktrBase.KlGuard,
                    Damping = parse.GetValue(damping) ?? acktrBase.Damping,
                    DampingStyle = Style(parse),
                    Gamma = parse.GetValue(gamma) ?? acktrBase.Gamma,
                    GaeLambda = parse.GetValue(gaeLambda) ?? acktrBase.GaeLambda,
                    LearningRate = parse.GetValue(lr) ?? acktrBase.LearningRate,
                    LinearLearningRate = Linear(parse) ?? acktrBase.LinearLearningRate,
                    EntropyCoefficient = parse.GetValue(entCoef) ?? acktrBase.EntropyCoefficient,
                    NormalizeReward = parse.GetValue(normalizeReward) ?? acktrBase.NormalizeReward,
                }, s),
                var a => throw new InvalidOperationException($"--algo '{a}' passed Validate"),
            });
            string? logPath = parse.GetValue(log);
            using var metrics = logPath is null ? null : MetricsLog.Open(logPath, append: false);
            var clock = Stopwatch.StartNew();
            long every = parse.GetValue(logEvery), nextLog = every;
            double? stop = parse.GetValue(stopAt);
            long budget = parse.GetValue(timesteps);
            bool reached = false;
            void Write(UpdateInfo u)
            {
                double meanReturn = vec.Episodes.MeanReturn();
                metrics?.Write(("env_steps", u.EnvSteps), ("seconds", clock.Elapsed.TotalSeconds), ("updates", u.Updates),
                    ("mean_return", meanReturn), ("episodes", vec.Episodes.Count), ("mean_length", vec.Episodes.MeanLength()),
                    ("policy_loss", u.PolicyLoss), ("value_loss", u.ValueLoss), ("entropy", u.Entropy), ("grad_norm", u.GradientNorm),
                    ("approx_kl", u.ApproxKl), ("clip_fraction", u.ClipFraction), ("lr", u.LearningRate), ("skipped", u.SkippedSteps), ("trust_region_scale", u.TrustRegionScale),
                    ("policy_kl", u.PolicyKl), ("guard_halvings", u.GuardHalvings),
                    ("algo", parse.GetValue(algo)!), ("env", envId), ("seed", s), ("envs", count));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"steps {u.EnvSteps,9}  updates {u.Updates,7}  {clock.Elapsed.TotalSeconds,7:F1}s  episodes {vec.Episodes.Count,6}  mean return (last 100) {meanReturn,8:F2}"));
            }
            try
            {
                learner.Learn(budget, u =>
                {
                    bool hit = stop is double target && vec.Episodes.Count >= 100 && vec.Episodes.MeanReturn() >= target;
                    if (u.EnvSteps >= nextLog || hit)
                    {
                        Write(u);
                        while (nextLog <= u.EnvSteps) nextLog += every;
                    }
                    if (hit) { reached = true; throw new StopTraining(); }
                });
            }
            catch (StopTraining) { }
            if (reached) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reached mean return {stop} after {vec.TotalSteps} environment steps"));
            if (parse.GetValue(checkpoint) is string ckpt)
            {
                learner.SaveCheckpoint(ckpt, new Dictionary<string, string> { ["env"] = envId, ["algo"] = parse.GetValue(algo)!, ["seed"] = s.ToString(CultureInfo.InvariantCulture) });
                Console.WriteLine($"saved {ckpt}");
            }
            return 0;
        });

        return root;

        // --lr-schedule: null keeps the algorithm's own default.
        bool? Linear(ParseResult p) => p.GetValue(lrSchedule) is string sched ? sched == "linear" : null;

        // --inverse-staleness defaults to as stale as the interval allows: every refresh in the background.
        // The staleness given, or the interval in effect - 1 (every refresh in the background).
        int Staleness(ParseResult p, int interval) => p.GetValue(inverseStaleness) ?? interval - 1;

        Kfac.Curvature.DampingStyle Style(ParseResult p) =>
            p.GetValue(dampingStyle) == "factored" ? Kfac.Curvature.DampingStyle.FactoredTikhonov : Kfac.Curvature.DampingStyle.Eigenbasis;

        // Every option, before any work: one UsageException naming the option and the value.
        void Validate(ParseResult parse)
        {
            string envId = parse.GetValue(env)!;
            ExampleMain.Require(GymEnvironments.IsKnown(envId), $"--env: unknown environment '{envId}'; known: {string.Join(", ", GymEnvironments.Ids)}");
            string algorithm = parse.GetValue(algo)!;
            ExampleMain.Require(Array.IndexOf(Algorithms, algorithm) >= 0, $"--algo must be a2c, ppo or acktr; got '{algorithm}'");
            string h = parse.GetValue(hyper)!;
            ExampleMain.Require(h is "tuned" or "default" or "zoo", $"--hyper must be tuned, default or zoo; got '{h}'");
            ExampleMain.RequirePositive("--timesteps", parse.GetValue(timesteps));
            if (parse.GetValue(envs) is int envCount) ExampleMain.RequirePositive("--envs", envCount);
            ExampleMain.RequirePositive("--episodes", parse.GetValue(episodes));
            ExampleMain.RequirePositive("--log-every", parse.GetValue(logEvery));
            if (parse.GetValue(inverseInterval) is int ii) ExampleMain.RequirePositive("--inverse-interval", ii);
            // Against the interval in effect: the flag's, else the --hyper setting's for this environment.
            int interval = parse.GetValue(inverseInterval)
                ?? (h == "tuned" ? TunedSettings.Acktr(envId).Options.InverseInterval : AcktrDefaults.InverseInterval);
            int stale = Staleness(parse, interval);
            ExampleMain.Require(stale == 0 || (stale > 0 && stale < interval),
                $"--inverse-staleness must be 0 (synchronous) or in 1 .. inverse interval - 1 = {interval - 1} (inverse interval {interval}); got {stale}");
            if (parse.GetValue(klClip) is double kl) ExampleMain.Require(double.IsFinite(kl) && kl > 0, $"--kl-clip must be a finite positive number; got {kl}");
            if (parse.GetValue(klGuard) is double kg) ExampleMain.Require(double.IsFinite(kg) && kg > 0, $"--kl-guard must be a finite positive number; got {kg}");
            string style = parse.GetValue(dampingStyle)!;
            if (parse.GetValue(lrSchedule) is string sched)
                ExampleMain.Require(sched is "constant" or "linear", $"--lr-schedule must be constant or linear; got '{sched}'");
            ExampleMain.Require(style is "eigenbasis" or "factored", $"--damping-style must be eigenbasis or factored; got '{style}'");
            if (parse.GetValue(damping) is double dmp) ExampleMain.Require(double.IsFinite(dmp) && dmp > 0, $"--damping must be a finite positive number; got {dmp}");
            ExampleMain.Require(parse.GetValue(threads) >= 0, $"--threads must be 0 (one thread) or a positive count; got {parse.GetValue(threads)}");
            if (parse.GetValue(nSteps) is int n) ExampleMain.RequirePositive("--n-steps", n);
            if (parse.GetValue(batchSize) is int b) ExampleMain.RequirePositive("--batch-size", b);
            if (parse.GetValue(epochs) is int e) ExampleMain.RequirePositive("--epochs", e);
            if (parse.GetValue(updateTiming) is int u) ExampleMain.RequirePositive("--update-timing", u);
            ExampleMain.RequireFinitePositive("--runner-speed", parse.GetValue(runnerSpeed));
            ExampleMain.RequireFinitePositive("--lr", parse.GetValue(lr));
            if (parse.GetValue(gamma) is double g) ExampleMain.RequireFraction("--gamma", g);
            if (parse.GetValue(gaeLambda) is double l) ExampleMain.Require(l is >= 0 and <= 1, $"--gae-lambda must be in [0, 1]; got {l}");
            if (parse.GetValue(entCoef) is double c) ExampleMain.Require(double.IsFinite(c) && c >= 0, $"--ent-coef must be a finite number >= 0; got {c}");
            if (parse.GetValue(stopAt) is double r) ExampleMain.Require(double.IsFinite(r), $"--stop-at-return must be a finite number; got {r}");
            string? path = parse.GetValue(checkpoint);
            if (parse.GetValue(evaluate))
            {
                ExampleMain.Require(path is not null, "--evaluate needs --checkpoint FILE");
                ExampleMain.Require(File.Exists(path), Directory.Exists(path) ? $"--checkpoint {path} is a directory, not a checkpoint file" : $"--checkpoint {path}: the file does not exist");
            }
            else if (parse.GetValue(runnerSpeed) is null && parse.GetValue(updateTiming) is null)
            {
                OptionRules.WritableFile("--checkpoint", path);
                OptionRules.WritableFile("--log", parse.GetValue(log));
            }
        }
    }

    /// <summary>Builds a learner from the user's options: the library's argument checks (a batch that does not
    /// divide the rollout, an algorithm without a curvature block for this network) are user errors here.</summary>
    private static T Checked<T>(Func<T> build)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new UsageException(e.Message, e);
        }
    }
}

/// <summary>Ends <see cref="OnPolicyLearner.Learn"/> from its callback once the target return is reached.</summary>
internal sealed class StopTraining : Exception;
