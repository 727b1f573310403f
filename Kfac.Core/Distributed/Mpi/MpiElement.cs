namespace Kfac.Distributed.Mpi;

/// <summary>The MPI datatypes the binding uses.</summary>
internal enum MpiElement
{
    Float,
    Double,
    Int32,
    Int64,
    Byte,
}
