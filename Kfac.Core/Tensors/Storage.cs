namespace Kfac.Tensors;

/// <summary>
/// A flat buffer of <see cref="Length"/> elements of one <see cref="DType"/> on one <see cref="Device"/>.
/// Several tensors may view the same storage (reshape); the storage counts them and goes back to its
/// backend's pool when the last one is disposed.
/// </summary>
public abstract class Storage
{
    private int _references;

    protected Storage(DType dtype, int length)
    {
        DType = dtype;
        Length = length;
    }

    public DType DType { get; }

    public int Length { get; }

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
