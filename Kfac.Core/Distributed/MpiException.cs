namespace Kfac.Distributed;

/// <summary>An MPI call returned an error code (with the library's own description of it).</summary>
public sealed class MpiException(string call, int code, string description)
    : Exception($"{call} failed with MPI error {code}: {description}")
{
    public string Call { get; } = call;

    public int Code { get; } = code;
}
