namespace Kfac.Distributed;

/// <summary>MPI was asked for but no usable MPI library could be loaded. The message names what was tried
/// and how to install one.</summary>
public sealed class MpiNotFoundException(string message) : Exception(message)
{
    /// <summary>The installation hint appended to every "not found" message.</summary>
    public const string InstallHint =
        "Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or MPICH (apt-get install mpich libmpich-dev), " +
        "or set KFAC_MPI_LIBRARY to the path of libmpi.so / libmpich.so, and launch with mpirun -np N.";
}
