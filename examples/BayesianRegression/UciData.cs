using System.Reflection;
using Kfac.Data;

namespace Kfac.Examples.BayesianRegression;

/// <summary>A regression table (inputs, target = last column) and the UCI protocol's random 90/10 splits,
/// standardised with the training split's mean and standard deviation.</summary>
public sealed class UciData
{
    private UciData(string name, double[][] x, double[] y)
    {
        Name = name;
        X = x;
        Y = y;
    }

    public string Name { get; }

    public double[][] X { get; }

    public double[] Y { get; }

    public int Rows => Y.Length;

    public int Features => X[0].Length;

    /// <summary>"boston" and "concrete" come from the embedded copies; anything else is a CSV path (header row,
    /// numeric columns, target last).</summary>
    public static UciData Load(string dataset)
    {
        CsvTable table;
        string name;
        if (dataset is "boston" or "concrete")
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Kfac.Examples.BayesianRegression.{dataset}.csv")
                ?? throw new InvalidOperationException($"embedded {dataset}.csv is missing from the build");
            using var reader = new StreamReader(stream);
            table = CsvTable.Read(reader, source: $"embedded {dataset}.csv");
            name = dataset;
        }
        else
        {
            if (!File.Exists(dataset)) throw new FileNotFoundException($"--dataset: '{dataset}' is neither boston, concrete nor an existing CSV file", dataset);
            table = CsvTable.Read(dataset);
            name = Path.GetFileNameWithoutExtension(dataset);
        }
        int cols = table.ColumnCount, rows = table.RowCount;
        if (cols < 2 || rows < 10) throw new InvalidDataException($"{table.Source}: need at least one input column, the target and 10 rows; got {cols} columns, {rows} rows");
        var x = new double[rows][];
        var y = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            x[i] = new double[cols - 1];
            for (int j = 0; j < cols - 1; j++) x[i][j] = table[i, j];
            y[i] = table[i, cols - 1];
        }
        return new UciData(name, x, y);
    }

    /// <summary>Split <paramref name="split"/> of the protocol: a permutation seeded by (seed, split), the first 90% train.</summary>
    public Split MakeSplit(int seed, int split, double trainFraction = 0.9)
    {
        var rng = new Random(StableSeed.Combine(seed, split, 0x5eed));
        var order = Enumerable.Range(0, Rows).ToArray();
        rng.Shuffle(order);
        return FromOrder(order, (int)Math.Round(trainFraction * Rows));
    }

    /// <summary>The one split of the noisy natural gradient authors' UCI loader (pomonam/NoisyNaturalGradient,
    /// regression/misc/data_loader.py): <c>RandomState(seed).choice(n, n, replace=False)</c>, its first round(0.9 n)
    /// rows (their training and validation parts, stacked) for training and the rest for test. Every run of their
    /// table uses this split, so its standard errors are over training runs, not over splits.</summary>
    /// <param name="numpySeed">the RandomState seed: 0 in pomonam/NoisyNaturalGradient's loader; ZhuSuan's UCI examples, whose
    /// loader that one copies, seed NumPy's global generator with 1234 before loading.</param>
    public Split MakeAuthorsSplit(long numpySeed = 0) => FromOrder(new NumpyLegacyRandom(numpySeed).Permutation(Rows), (int)Math.Round(0.9 * Rows, MidpointRounding.ToEven));

    /// <summary>Rows order[..nTrain] train, the rest test, standardised with the training rows' statistics.</summary>
    private Split FromOrder(int[] order, int nTrain)
    {
        var train = order[..nTrain];
        var test = order[nTrain..];
        int d = Features;
        var xMean = new double[d];
        var xStd = new double[d];
        for (int j = 0; j < d; j++)
        {
            xMean[j] = train.Average(i => X[i][j]);
            double v = train.Average(i => (X[i][j] - xMean[j]) * (X[i][j] - xMean[j]));
            xStd[j] = v > 0 ? Math.Sqrt(v) : 1; // a constant column stays 0 after centring
        }
        double yMean = train.Average(i => Y[i]);
        double yStd = Math.Sqrt(train.Average(i => (Y[i] - yMean) * (Y[i] - yMean)));
        if (!(yStd > 0)) throw new InvalidDataException($"{Name}: the target is constant on the training split");
        double[] Row(int i) => Enumerable.Range(0, d).Select(j => (X[i][j] - xMean[j]) / xStd[j]).ToArray();
        return new Split(
            train.Select(Row).ToArray(), train.Select(i => (Y[i] - yMean) / yStd).ToArray(),
            test.Select(Row).ToArray(), test.Select(i => Y[i]).ToArray(), yMean, yStd);
    }
}

/// <summary>Standardised training inputs and targets; standardised test inputs with test targets in original units.</summary>
public sealed record Split(double[][] TrainX, double[] TrainY, double[][] TestX, double[] TestY, double TargetMean, double TargetStd);
