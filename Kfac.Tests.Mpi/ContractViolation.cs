namespace Kfac.Tests.Mpi;

/// <summary>A communicator broke its contract (thrown by <see cref="CommunicatorContract"/>).</summary>
public sealed class ContractViolation(string message) : Exception(message)
{
    public static void Require(bool condition, string message)
    {
        if (!condition) throw new ContractViolation(message);
    }
}
