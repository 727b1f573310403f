using System.Globalization;
using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>
/// A numeric table read from delimited text: column names and a row-major matrix of doubles.
/// <para>Format: optional leading lines to skip (scikit-learn's bundled CSVs start with a line of counts,
/// e.g. "506,13" before the names of the Boston housing columns), an optional header line of names, then
/// one row per line. Fields are trimmed; a field may be enclosed in double quotes ("" inside is a quote;
/// quoted fields cannot span lines). Blank lines are ignored. Every row must have the same number of
/// fields, and every field must be a number in invariant culture ("1.5e-3", "NaN" and "Infinity" are).</para>
/// Problems raise <see cref="InvalidDataException"/> naming the source, line number and column.
/// </summary>
public sealed class CsvTable
{
    private readonly string[] _columnNames;
    private readonly double[] _values;

    private CsvTable(string[] columnNames, double[] values, string source)
    {
        _columnNames = columnNames;
        _values = values;
        Source = source;
    }

    /// <summary>The column names (from the header, or "column0", "column1", ... without one).</summary>
    public IReadOnlyList<string> ColumnNames => _columnNames;

    /// <summary>The number of columns.</summary>
    public int ColumnCount => _columnNames.Length;

    /// <summary>The number of data rows (the header excluded).</summary>
    public int RowCount => ColumnCount == 0 ? 0 : _values.Length / ColumnCount;

    /// <summary>All values, row-major: row r, column c is at r * ColumnCount + c.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The path or name the table was read from.</summary>
    public string Source { get; }

    /// <summary>The value in <paramref name="row"/>, <paramref name="column"/> (both 0-based).</summary>
    public double this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)RowCount)
                throw new ArgumentOutOfRangeException(nameof(row), row, $"table '{Source}' has {RowCount} rows");
            if ((uint)column >= (uint)ColumnCount)
                throw new ArgumentOutOfRangeException(nameof(column), column, $"table '{Source}' has {ColumnCount} columns");
            return _values[row * ColumnCount + column];
        }
    }

    /// <summary>Reads a table from a file. <paramref name="skipLines"/> lines are skipped before the header
    /// (or before the data when <paramref name="hasHeader"/> is false). Without a header the columns are
    /// named "column0", "column1", ... A gzip-compressed file (recognised by its magic bytes, whatever its
    /// name, as the IDX loader does) is decompressed on the fly.</summary>
    public static CsvTable Read(string path, bool hasHeader = true, char separator = ',', int skipLines = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"CSV file '{path}' does not exist", path);
        using var file = File.OpenRead(path);
        using var contents = GzipDetection.OpenPossiblyCompressed(file);
        using var reader = new StreamReader(contents, detectEncodingFromByteOrderMarks: true);
        return Read(reader, hasHeader, separator, skipLines, path);
    }

    /// <summary>Reads a table from <paramref name="reader"/> to its end; <paramref name="source"/> names it in
    /// error messages.</summary>
    public static CsvTable Read(TextReader reader, bool hasHeader = true, char separator = ',', int skipLines = 0, string source = "(text)")
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(skipLines);
        if (separator is '"' or '\r' or '\n')
            throw new ArgumentException($"'{separator}' cannot be a separator", nameof(separator));

        int lineNumber = 0;
        for (int i = 0; i < skipLines; i++)
        {
            if (reader.ReadLine() is null)
                throw new InvalidDataException($"CSV '{source}': asked to skip {skipLines} lines but it has only {lineNumber}");
            lineNumber++;
        }

        var fields = new List<string>();
        string[]? names = null;
        int headerLine = 0;
        var values = new List<double>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            SplitFields(line, separator, fields, source, lineNumber);
            if (names is null)
            {
                headerLine = lineNumber;
                names = hasHeader ? fields.ToArray() : Enumerable.Range(0, fields.Count).Select(c => $"column{c}").ToArray();
                if (hasHeader) continue;
            }
            if (fields.Count != names.Length)
                throw new InvalidDataException($"CSV '{source}' line {lineNumber}: {fields.Count} fields, expected {names.Length} "
                    + (hasHeader ? $"(as in the header on line {headerLine})" : $"(as on line {headerLine}, the first row)"));
            for (int c = 0; c < fields.Count; c++)
            {
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    throw new InvalidDataException($"CSV '{source}' line {lineNumber}, column {c + 1} ('{names[c]}'): '{fields[c]}' is not a number");
                // double.Parse maps overflow ("1e400") to +-Infinity and accepts "NaN": neither is a usable value.
                if (!double.IsFinite(value))
                    throw new InvalidDataException($"CSV '{source}' line {lineNumber}, column {c + 1} ('{names[c]}'): '{fields[c]}' is "
                        + (double.IsNaN(value) ? "NaN (not a number)" : "outside the range of a double (overflows to infinity)"));
                values.Add(value);
            }
        }
        if (names is null)
            throw new InvalidDataException($"CSV '{source}': no " + (hasHeader ? "header" : "rows") + (skipLines > 0 ? $" after the {skipLines} skipped lines" : "") + $" ({lineNumber} lines)");
        return new CsvTable(names, values.ToArray(), source);
    }

    /// <summary>Index of the column named <paramref name="name"/> (ordinal comparison).</summary>
    public int ColumnIndex(string name)
    {
        int index = Array.IndexOf(_columnNames, name);
        if (index < 0)
            throw new KeyNotFoundException($"table '{Source}' has no column '{name}'; columns: {string.Join(", ", _columnNames)}");
        if (Array.IndexOf(_columnNames, name, index + 1) >= 0)
            throw new InvalidOperationException($"table '{Source}' has more than one column named '{name}'; use the index");
        return index;
    }

    /// <summary>A copy of one column.</summary>
    public double[] Column(int column)
    {
        if ((uint)column >= (uint)ColumnCount)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"table '{Source}' has {ColumnCount} columns");
        var result = new double[RowCount];
        for (int r = 0; r < result.Length; r++) result[r] = _values[r * ColumnCount + column];
        return result;
    }

    /// <summary>A copy of the column named <paramref name="name"/>.</summary>
    public double[] Column(string name) => Column(ColumnIndex(name));

    /// <summary>A copy as a [rows, columns] array.</summary>
    public double[,] ToMatrix()
    {
        var m = new double[RowCount, ColumnCount];
        for (int r = 0; r < RowCount; r++)
            for (int c = 0; c < ColumnCount; c++) m[r, c] = _values[r * ColumnCount + c];
        return m;
    }

    /// <summary>The named columns (all, if none are named) as a [rows, columns] tensor, created outside any
    /// <see cref="TensorScope"/> (data outlives training steps).</summary>
    public Tensor ToTensor(DType dtype = DType.Float32, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        int[] indices = columns.Length == 0 ? Enumerable.Range(0, ColumnCount).ToArray() : columns.Select(ColumnIndex).ToArray();
        var selected = new double[RowCount * indices.Length];
        for (int r = 0; r < RowCount; r++)
            for (int j = 0; j < indices.Length; j++) selected[r * indices.Length + j] = _values[r * ColumnCount + indices[j]];
        using (TensorScope.Suspend()) return Tensor.FromDoubles(selected, new Shape(RowCount, indices.Length), dtype);
    }

    /// <summary>Splits one line into trimmed fields, honouring double quotes.</summary>
    private static void SplitFields(string line, char separator, List<string> fields, string source, int lineNumber)
    {
        fields.Clear();
        var field = new System.Text.StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            while (i < line.Length && line[i] is ' ' or '\t' && line[i] != separator) i++;
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                        throw new InvalidDataException($"CSV '{source}' line {lineNumber}, column {fields.Count + 1}: unterminated quoted field");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                while (i < line.Length && line[i] != separator)
                {
                    if (!char.IsWhiteSpace(line[i]))
                        throw new InvalidDataException($"CSV '{source}' line {lineNumber}, column {fields.Count + 1}: text after the closing quote");
                    i++;
                }
                fields.Add(field.ToString());
            }
            else
            {
                int start = i;
                while (i < line.Length && line[i] != separator) i++;
                fields.Add(line[start..i].Trim());
            }
            if (i >= line.Length) return;
            i++; // the separator
        }
    }
}
