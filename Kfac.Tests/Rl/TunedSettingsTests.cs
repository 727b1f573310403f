using Kfac.Rl.Algorithms;
using Kfac.Rl.Environments;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>The per-task table (<see cref="TunedSettings"/>): its entries are the settings BENCHMARKS measured,
/// every entry passes its options' validation, and a task without an entry gets the options' defaults.</summary>
public class TunedSettingsTests
{
    [Test]
    public void EntriesAreTheMeasuredSettings()
    {
        var pendulum = TunedSettings.Acktr("Pendulum-v1");
        Assert.That((pendulum.Envs, pendulum.Options), Is.EqualTo((16, new AcktrOptions { Gamma = 0.95 })));
        var cartPole = TunedSettings.Acktr("CartPole-v1");
        Assert.That((cartPole.Envs, cartPole.Options), Is.EqualTo((8, new AcktrOptions { EntropyCoefficient = 0, StepsPerEnv = 10, KlClip = 0.005 })));
        Assert.That(TunedSettings.Acktr("MinAtar/Breakout-v1").Options, Is.EqualTo(new AcktrOptions { KlClip = 0.001 }));
        Assert.That(TunedSettings.Acktr("Breakout"), Is.EqualTo(TunedSettings.Acktr("MinAtar/Breakout-v1")), "the short name");
        Assert.That(TunedSettings.Acktr("MinAtar/SpaceInvaders-v1").Options, Is.EqualTo(new AcktrOptions { KlClip = 0.001 }));
        Assert.That(TunedSettings.Acktr("SpaceInvaders"), Is.EqualTo(TunedSettings.Acktr("MinAtar/SpaceInvaders-v1")), "the short name");
        Assert.That(TunedSettings.Acktr("Acrobot-v1").Options, Is.EqualTo(new AcktrOptions { StepsPerEnv = 3, KlClip = 0.005 }));
        Assert.That(TunedSettings.Acktr("Acrobot-v1").Envs, Is.EqualTo(4));
        Assert.That(TunedSettings.A2c("Acrobot-v1").Options, Is.EqualTo(new A2cOptions { StepsPerEnv = 5, EntropyCoefficient = 0, LearningRate = 2e-3 }));
        Assert.That(TunedSettings.A2c("Acrobot-v1").Envs, Is.EqualTo(32));
        Assert.That(TunedSettings.Ppo("CartPole-v1").Options, Is.EqualTo(PpoOptions.ZooCartPole));
        Assert.That(TunedSettings.Ppo("Pendulum-v1").Options.Gamma, Is.EqualTo(0.95));
        Assert.That(TunedSettings.A2c("CartPole-v1").Options, Is.EqualTo(new A2cOptions { StepsPerEnv = 5, EntropyCoefficient = 0, LearningRate = 5e-3 }));
        Assert.That(TunedSettings.A2c("CartPole-v1").Envs, Is.EqualTo(16));
        Assert.That(TunedSettings.A2c("Pendulum-v1").Options, Is.EqualTo(new A2cOptions()));
    }

    [Test]
    public void EveryEntryValidatesAndCitesItsSource()
    {
        foreach (string id in GymEnvironments.Ids)
        {
            var a2c = TunedSettings.A2c(id);
            var ppo = TunedSettings.Ppo(id);
            var acktr = TunedSettings.Acktr(id);
            Assert.DoesNotThrow(a2c.Options.Validate, id);
            Assert.DoesNotThrow(ppo.Options.Validate, id);
            Assert.DoesNotThrow(acktr.Options.Validate, id);
            foreach (var (envs, source) in new[] { (a2c.Envs, a2c.Source), (ppo.Envs, ppo.Source), (acktr.Envs, acktr.Source) })
            {
                Assert.That(envs, Is.GreaterThan(0), id);
                Assert.That(source, Is.Not.Empty, id);
            }
        }
    }

    [Test]
    public void ATaskWithoutAnEntryGetsTheDefaults()
    {
        var s = TunedSettings.Acktr("MountainCarContinuous-v0");
        Assert.That((s.Envs, s.Options), Is.EqualTo((TunedSettings.DefaultEnvs, new AcktrOptions())));
        Assert.That(TunedSettings.A2c("MinAtar/SpaceInvaders-v1").Options, Is.EqualTo(new A2cOptions()));
        Assert.That(TunedSettings.Ppo("MountainCarContinuous-v0").Options, Is.EqualTo(new PpoOptions()));
        Assert.Throws<ArgumentNullException>(() => TunedSettings.Acktr(null!));
    }
}
