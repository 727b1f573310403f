namespace Kfac.Linalg;

/// <summary>Which triangle of a square row-major matrix holds the data (the other one is not read).</summary>
public enum Triangle
{
    /// <summary>The lower triangle (on and below the diagonal) holds the data.</summary>
    Lower,
    /// <summary>The upper triangle (on and above the diagonal) holds the data.</summary>
    Upper,
}
