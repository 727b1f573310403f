namespace Kfac.Distributed;

/// <summary>Argument checks shared by the communicators, so that both fail the same way on bad input.</summary>
internal static class CommunicatorChecks
{
    /// <summary>The element types an all-reduce supports.</summary>
    public static void ReducibleType<T>(string where) where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(int) && typeof(T) != typeof(long))
            throw new NotSupportedException($"{where}: all-reduce supports float, double, int and long elements, not {typeof(T).Name}");
    }

    public static void Operation(ReduceOperation operation, string where)
    {
        if (operation is not (ReduceOperation.Sum or ReduceOperation.Max or ReduceOperation.Min))
            throw new ArgumentOutOfRangeException(nameof(operation), operation, $"{where}: unknown reduce operation");
    }

    public static void Root(int root, int size, string where)
    {
        if ((uint)root >= (uint)size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"{where}: root must be a rank in 0 .. {size - 1}");
    }

    public static void GatherLengths(int send, int receive, int size, string where)
    {
        if ((long)send * size != receive)
            throw new ArgumentException($"{where}: receive has {receive} elements; it needs Size * send.Length = {size} * {send} = {(long)send * size}", "receive");
    }
}
