namespace Kfac.Distributed;

/// <summary>Element-wise reduction of an all-reduce (MPI_SUM, MPI_MAX, MPI_MIN).</summary>
public enum ReduceOperation
{
    Sum,
    Max,
    Min,
}
