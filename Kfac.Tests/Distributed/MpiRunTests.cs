using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>
/// The distributed behaviour under real MPI: each test launches the Kfac.Tests.Mpi worker with mpirun (Open MPI
/// and MPICH when installed; ignored with the package names otherwise) and a wall-clock limit.
/// </summary>
[NonParallelizable]
public class MpiRunTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static MpiLauncher Launcher(string name) => name == "openmpi" ? MpiLauncher.OpenMpi : MpiLauncher.Mpich;

    private static void Succeeded(MpiLauncher.Result r) =>
        Assert.That(r.ExitCode, Is.EqualTo(0), $"mpirun exited with {r.ExitCode}. Output:\n{r.Output}");

    [TestCase("openmpi", 2)]
    [TestCase("openmpi", 3)]
    [TestCase("mpich", 2)]
    public void TheContractHolds(string implementation, int ranks)
    {
        var r = Launcher(implementation).Run(ranks, "contract", Limit);
        Succeeded(r);
        Assert.That(r.Number("contract_passed"), Is.EqualTo(Kfac.Tests.Mpi.CommunicatorContract.Checks.Count));
        Assert.That(r.Number("size"), Is.EqualTo(ranks));
        Assert.That(r.Output, Does.Contain(implementation == "openmpi" ? "Open MPI" : "MPICH"));
    }

    /// <summary>
    /// Two ranks with half a batch each against one process with the whole batch, 25 steps, compared after
    /// every step. Tolerance: max |w_parallel - w_single| &lt;= 2e-6 with |w| &lt;= ~1, i.e. ~16 float ulps after
    /// 25 steps; the only difference is the order of the batch sum in the gradient (the shards' GEMMs sum
    /// 32 rows each, then the two halves are added). Measured: ~1e-7. Weighting the shards wrong (a sum instead
    /// of the mean) or any desynchronised rank gives differences of order the learning rate. The ranks' weights
    /// must be bit-identical after every step (hashes all-gathered each step).
    /// </summary>
    [TestCase("openmpi", "sgd", 2, 64, GradientBuckets.One)]
    [TestCase("openmpi", "adam", 2, 64, GradientBuckets.Several)]
    [TestCase("mpich", "sgd", 2, 64, GradientBuckets.Several)]
    [TestCase("mpich", "adam", 3, 60, GradientBuckets.One)]
    public void DataParallelStepsMatchOneProcessOnTheWholeBatch(string implementation, string optimizer, int ranks, int batch, GradientBuckets buckets)
    {
        string bucketBytes = buckets == GradientBuckets.One ? "" : " --bucket-bytes 1000";
        var r = Launcher(implementation).Run(ranks, $"train --optimizer {optimizer} --steps 25 --batch-size {batch}{bucketBytes}", Limit);
        Succeeded(r);
        Assert.That(r.Number("steps"), Is.EqualTo(25));
        Assert.That(r.Value("identical"), Is.EqualTo("True"), "the ranks' weights differ in some bit after some step");
        Assert.That(r.Number("max_weight_diff"), Is.LessThanOrEqualTo(2e-6), r.Output);
        Assert.That(r.Number("max_abs_weight"), Is.InRange(0.1, 10), "the weights are of order one (the tolerance assumes it)");
        Assert.That(r.Number("max_loss_diff"), Is.LessThanOrEqualTo(1e-6), r.Output);
        Assert.That(r.Number("buckets"), buckets == GradientBuckets.One ? Is.EqualTo(1) : Is.GreaterThan(1));
    }

    /// <summary>Distributed K-FAC in separate processes: the checks and tolerances of
    /// <see cref="DistributedKfacTests.StepsMatchOneProcessOnTheWholeBatch"/> (25 steps with lambda, gamma, alpha, mu,
    /// statistics and inverses all adapting; weights within 1e-5 of one process on the whole batch, losses within 1e-6;
    /// bit-identical weights and decisions on every rank after every step; each block's inverse computed exactly once per
    /// refresh, on its owner).</summary>
    [TestCase("openmpi", 2, 64, "eager", "inverses")]
    [TestCase("openmpi", 3, 60, "lazy", "directions")]
    [TestCase("mpich", 2, 64, "lazy", "inverses")]
    [TestCase("mpich", 3, 60, "eager", "inverses")]
    [TestCase("openmpi", 2, 64, "eager", "inverses", 2)]
    [TestCase("mpich", 3, 60, "lazy", "inverses", 3)]
    public void DistributedKfacStepsMatchOneProcessOnTheWholeBatch(string implementation, int ranks, int batch, string statistics, string inverses, int staleness = 0)
    {
        var r = Launcher(implementation).Run(ranks, $"kfac --steps 25 --batch-size {batch} --statistics {statistics} --inverses {inverses} --staleness {staleness}", Limit);
        Succeeded(r);
        Assert.That(r.Number("steps"), Is.EqualTo(25));
        Assert.That(r.Value("identical"), Is.EqualTo("True"), "the ranks' weights differ in some bit after some step");
        Assert.That(r.Value("decisions_identical"), Is.EqualTo("True"), "the ranks took different lambda, gamma, alpha, mu or rho");
        Assert.That(r.Value("refreshes_ok"), Is.EqualTo("True"), "some block's inverse was not computed exactly once per refresh on its owner");
        Assert.That(r.Number("max_weight_diff"), Is.LessThanOrEqualTo(1e-5), r.Output);
        Assert.That(r.Number("max_abs_weight"), Is.InRange(0.1, 10));
        Assert.That(r.Number("max_loss_diff"), Is.LessThanOrEqualTo(1e-6), r.Output);
        Assert.That(r.Number("max_lambda_ratio"), Is.LessThanOrEqualTo(1e-4), r.Output);
        // Asynchronous inverses (T3 = 4): never older than T3 - 1 + S, and older than T3 - 1 at some step.
        if (staleness > 0) Assert.That(r.Number("max_inverse_age"), Is.InRange(4, 3 + staleness), r.Output);
        TestContext.Out.WriteLine(r.Output);
    }

    /// <summary>Batch norm in separate processes (<see cref="BatchNormCheck"/>, as <see cref="DistributedBatchNormTests"/>
    /// with threads): parameters and buffers bit-identical on every rank after every step, and the running statistics
    /// after step 1 equal to the shards' moments averaged over the ranks.</summary>
    [TestCase("openmpi", "kfac", 2)]
    [TestCase("mpich", "kfac", 3)]
    [TestCase("openmpi", "momentum", 3)]
    public void BatchNormRunningStatisticsAreAveragedOverTheRanks(string implementation, string optimizer, int ranks)
    {
        var r = Launcher(implementation).Run(ranks, $"batchnorm --optimizer {optimizer} --steps 8", Limit);
        Succeeded(r);
        Assert.That(r.Value("identical"), Is.EqualTo("True"), "the ranks' parameters or buffers differ in some bit after some step");
        Assert.That(r.Number("first_mean_error"), Is.LessThanOrEqualTo(1e-5), r.Output);
        Assert.That(r.Number("first_var_error"), Is.LessThanOrEqualTo(1e-5), r.Output);
        Assert.That(r.Value("finite"), Is.EqualTo("True"));
        Assert.That(r.Number("accepted"), Is.GreaterThan(4), r.Output);
    }

    /// <summary>A rank that dies mid-training (SIGKILL at step 5) ends the job with a non-zero status in well
    /// under 60 s: the launcher notices the death and terminates the rank waiting in the all-reduce.</summary>
    [TestCase("openmpi")]
    [TestCase("mpich")]
    public void ARankThatDiesEndsTheJob(string implementation)
    {
        var r = Launcher(implementation).Run(2, "die --steps 100000 --at-step 5 --rank 1", TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.Output);
        Assert.That(r.Seconds, Is.LessThan(60));
        Assert.That(r.Output, Does.Contain("simulated failure at step 5"));
        Assert.That(r.Output, Does.Not.Contain("finished all"), "a surviving rank went on training alone");
        Assert.That(r.Output, Does.Contain(implementation == "openmpi" ? "signal 9" : "BAD TERMINATION"), "the launcher names the dead rank");
    }

    /// <summary>A rank that hangs (stops calling collectives at step 5): the other rank's watchdog (timeout 5 s
    /// here) ends it with a message naming the stalled operation, and mpirun ends the job.</summary>
    [TestCase("openmpi")]
    [TestCase("mpich")]
    public void ARankThatHangsEndsTheJobWithAClearError(string implementation)
    {
        var r = Launcher(implementation).Run(2, "hang --steps 100000 --at-step 5 --rank 1 --timeout 5", TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.Output);
        Assert.That(r.Output, Does.Contain("rank 0 of 2: all-reduce").And.Contain("did not complete within 5 s: another rank has died or hangs"));
        Assert.That(r.Seconds, Is.LessThan(45));
    }

    /// <summary>Rank 0 alone writes the checkpoint (atomically: no temporary file is left); every rank reloads it
    /// and finds its own weights bit for bit.</summary>
    [Test]
    public void RankZeroWritesTheCheckpointThatEveryRankReloads()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kfac-mpi-checkpoint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var r = MpiLauncher.OpenMpi.Run(2, $"checkpoint --steps 5 --path {Path.Combine(dir, "run.safetensors")}", Limit);
            Succeeded(r);
            Assert.That(r.Value("checkpoint_matches_on_every_rank"), Is.EqualTo("True"));
            Assert.That(r.Number("other_files_in_directory"), Is.EqualTo(0));
            Assert.That(r.Number("saved_step"), Is.EqualTo(5));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public enum GradientBuckets
    {
        One,
        Several,
    }
}
