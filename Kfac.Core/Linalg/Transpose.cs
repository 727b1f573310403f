namespace Kfac.Linalg;

/// <summary>Cache-blocked out-of-place transpose of a row-major matrix: dst (cols x rows, stride ldd) = src^T
/// (src rows x cols, stride lds). Tiles of 32 x 32 keep both the reads and the strided writes in L1.</summary>
internal static class Transpose
{
    private const int Tile = 32;

    public static void Copy<T>(ReadOnlySpan<T> src, int rows, int cols, int lds, Span<T> dst, int ldd)
    {
        for (int i0 = 0; i0 < rows; i0 += Tile)
        {
            int i1 = Math.Min(rows, i0 + Tile);
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int j1 = Math.Min(cols, j0 + Tile);
                for (int i = i0; i < i1; i++)
                {
                    var row = src.Slice(i * lds, cols);
                    for (int j = j0; j < j1; j++) dst[j * ldd + i] = row[j];
                }
            }
        }
    }
}
