using Kfac.Examples;
using Kfac.Data;
using Kfac.Tensors;

/// <summary>A CSV table split into standardised training and test sets.</summary>
internal static class TabularData
{
    /// <summary>Reads <paramref name="path"/>, takes the class from column <paramref name="label"/> (the last one when
    /// null; its distinct values, sorted, become classes 0..K-1), shuffles the rows with <paramref name="seed"/> and
    /// holds out <paramref name="testFraction"/> of them; every input column is standardised with the training rows'
    /// mean and standard deviation (a constant column becomes 0).</summary>
    public static (LabeledData Train, LabeledData Test) Load(string path, string? label, double testFraction, int seed)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new UsageException($"--test-fraction must be in (0, 1); got {testFraction}");
        var table = CsvTable.Read(path);
        int labelColumn;
        try
        {
            labelColumn = label is null ? table.ColumnCount - 1 : table.ColumnIndex(label);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            // No such column, or two columns of that name: the user's --label does not pick one column.
            throw new UsageException($"--label {label}: {e.Message}", e);
        }
        int rows = table.RowCount, inputs = table.ColumnCount - 1;
        if (rows < 2) throw new InvalidDataException($"{path}: {rows} rows; need at least 2 to split into training and test sets");
        double[] classValues = table.Column(labelColumn).Distinct().Order().ToArray();
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        int testRows = Math.Clamp((int)Math.Round(testFraction * rows), 1, rows - 1);
        int[] trainRows = order[testRows..], heldOut = order[..testRows];

        var mean = new double[inputs];
        var std = new double[inputs];
        for (int c = 0, j = 0; c < table.ColumnCount; c++)
        {
            if (c == labelColumn) continue;
            mean[j] = trainRows.Average(r => table[r, c]);
            double m = mean[j];
            std[j] = Math.Sqrt(trainRows.Average(r => (table[r, c] - m) * (table[r, c] - m)));
            j++;
        }
        LabeledData Build(int[] which)
        {
            var x = new float[which.Length * inputs];
            var y = new int[which.Length];
            for (int i = 0; i < which.Length; i++)
            {
                for (int c = 0, j = 0; c < table.ColumnCount; c++)
                {
                    if (c == labelColumn) continue;
                    x[i * inputs + j] = std[j] > 0 ? (float)((table[which[i], c] - mean[j]) / std[j]) : 0f;
                    j++;
                }
                y[i] = Array.BinarySearch(classValues, table[which[i], labelColumn]);
            }
            return new LabeledData(Tensor.FromArray(x, new Shape(which.Length, inputs)), y, classValues.Length);
        }
        return (Build(trainRows), Build(heldOut));
    }
}
