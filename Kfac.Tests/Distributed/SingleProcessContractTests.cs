using Kfac.Distributed;
using Kfac.Tests.Mpi;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

/// <summary>The communicator contract (written once, in Kfac.Tests.Mpi) on the single-process communicator;
/// <see cref="MpiRunTests"/> runs the same checks on Open MPI and MPICH under mpirun.</summary>
public class SingleProcessContractTests
{
    private static IEnumerable<TestCaseData> Checks() =>
        CommunicatorContract.Checks.Select(c => new TestCaseData(c.Name).SetName($"SingleProcess_{c.Name}"));

    [TestCaseSource(nameof(Checks))]
    public void SatisfiesTheContract(string name)
    {
        var check = CommunicatorContract.Checks.Single(c => c.Name == name).Check;
        Assert.DoesNotThrow(() => check(SingleProcessCommunicator.Instance));
    }

    [Test]
    public void IsRankZeroOfOne()
    {
        var c = SingleProcessCommunicator.Instance;
        Assert.That((c.Rank, c.Size), Is.EqualTo((0, 1)));
    }
}
