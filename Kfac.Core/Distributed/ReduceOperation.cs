namespace Kfac.Distributed;

/// <summary>Element-wise reduction of an all-reduce (MPI_SUM, MPI_MAX, MPI_MIN).</summary>
public enum ReduceOperation
{
    /// <summary>Element-wise sum (MPI_SUM).</summary>
    Sum,
    /// <summary>Element-wise maximum (MPI_MAX).</summary>
    Max,
    /// <summary>Element-wise minimum (MPI_MIN).</summary>
    Min,
}
