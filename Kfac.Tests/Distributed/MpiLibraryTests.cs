using Kfac.Distributed;
using NUnit.Framework;

namespace Kfac.Tests.Distributed;

[NonParallelizable]
public class MpiLibraryTests
{
    [Test]
    public void AMissingLibraryGivesAClearErrorNamingTheAptPackages()
    {
        string? saved = Environment.GetEnvironmentVariable("KFAC_MPI_LIBRARY");
        try
        {
            Environment.SetEnvironmentVariable("KFAC_MPI_LIBRARY", "/nonexistent/libmpi-missing.so");
            var e = Assert.Throws<MpiNotFoundException>(() => new MpiCommunicator().Dispose());
            Assert.That(e!.Message, Does.Contain("/nonexistent/libmpi-missing.so")
                .And.Contain("apt-get install openmpi-bin libopenmpi-dev")
                .And.Contain("mpich libmpich-dev"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("KFAC_MPI_LIBRARY", saved);
        }
    }

    [Test]
    public void ABadTimeoutIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MpiCommunicator(TimeSpan.Zero).Dispose());
}
