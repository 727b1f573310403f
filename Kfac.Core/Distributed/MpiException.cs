namespace Kfac.Distributed;

/// <summary>An MPI call returned an error code (with the library's own description of it).</summary>
public sealed class MpiException(string call, int code, string description)
    : Exception($"{call} failed with MPI error {code}: {description}")
{
    /// <summary>The MPI function that failed (e.g. "MPI_Allreduce").</summary>
    public string Call { get; } = call;

    /// <summary>The MPI error code it returned.</summary>
    public int Code { get; } = code;
}
