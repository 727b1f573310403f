namespace Kfac.Linalg;

/// <summary>Which triangle of a square row-major matrix holds the data (the other one is not read).</summary>
public enum Triangle
{
    Lower,
    Upper,
}
