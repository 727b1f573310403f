namespace Kfac.Tensors;

/// <summary>
/// A flat buffer of <see cref="Length"/> elements of one <see cref="DType"/> on one <see cref="Device"/>.
/// Several tensors may view the same storage (reshape); the storage counts them and goes back to its
/// backend's pool when the last one is disposed.
/// </summary>
public abstract class Storage
{
    private int _references;

    /// <summary>A storage of <paramref name="length"/> elements of <paramref name="dtype"/>; derived classes own the memory.</summary>
    protected Storage(DType dtype, int length)
    {
        DType = dtype;
        Length = length;
    }

    /// <summary>Element type of the buffer.</summary>
    public DType DType { get; }

    /// <summary>Number of elements in the buffer (not bytes).</summary>
    public int Length { get; }

    /// <summary>The device whose memory holds the buffer.</summary>
    public abstract Device Device { get; }

    internal bool IsReleased { get; private set; }

    internal void AddReference() => _references++;

    internal void RemoveReference()
    {
        if (--_references == 0 && !IsReleased)
        {
            IsReleased = true;
            Release();
        }
    }

    /// <summary>Returns the buffer to the pool (or frees device memory). Called once.</summary>
    protected abstract void Release();
}
