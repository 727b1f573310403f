using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>
/// Mini-batches over a data set held in host memory: inputs [N, ...] with class labels int[N] and/or
/// regression targets [N, ...]. Each epoch visits every example once (the last, smaller batch is dropped
/// when <c>dropLast</c>), in a fresh Fisher-Yates order when shuffling.
/// <para>The order of epoch e depends only on (seed, e), not on what ran before, so a run resumed from a
/// checkpoint at epoch e sees the same batches as an uninterrupted one.</para>
/// <para>No allocation per batch: the batch tensors and label arrays are allocated once, in the
/// constructor, and every batch is copied into them. The <see cref="Batch"/> returned by the enumerator is
/// therefore overwritten by the next one; iterate one epoch at a time.</para>
/// <code>
/// using var loader = new DataLoader(data.Train, batchSize: 128, seed: 1);
/// for (int epoch = 0; epoch &lt; 10; epoch++)
///     foreach (var batch in loader.Epoch(epoch))
///         Train(batch.Inputs, batch.Labels);
/// </code>
/// </summary>
public sealed class DataLoader : IDisposable
{
    private readonly Tensor _inputs;
    private readonly int[]? _labels;
    private readonly Tensor? _targets;
    private readonly int[] _order;
    private readonly Batch _fullBatch;
    private readonly Batch? _lastBatch;
    private readonly Array? _inputStaging;
    private readonly Array? _targetStaging;
    private int _epochsStarted;
    private int _generation;

    /// <summary>Batches of <paramref name="data"/>'s inputs and labels.</summary>
    public DataLoader(LabeledData data, int batchSize, bool shuffle = true, long seed = 0, bool dropLast = false, Device? device = null)
        : this(data?.Inputs!, data?.Labels, null, batchSize, shuffle, seed, dropLast, device)
    {
    }

    /// <summary>Batches of inputs [N, ...] with class labels (length N).</summary>
    public DataLoader(Tensor inputs, int[] labels, int batchSize, bool shuffle = true, long seed = 0, bool dropLast = false, Device? device = null)
        : this(inputs, labels ?? throw new ArgumentNullException(nameof(labels)), null, batchSize, shuffle, seed, dropLast, device)
    {
    }

    /// <summary>Batches of inputs [N, ...] with regression targets [N, ...].</summary>
    public DataLoader(Tensor inputs, Tensor targets, int batchSize, bool shuffle = true, long seed = 0, bool dropLast = false, Device? device = null)
        : this(inputs, null, targets ?? throw new ArgumentNullException(nameof(targets)), batchSize, shuffle, seed, dropLast, device)
    {
    }

    private DataLoader(Tensor inputs, int[]? labels, Tensor? targets, int batchSize, bool shuffle, long seed, bool dropLast, Device? device)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckHostTensor(inputs, nameof(inputs));
        int n = inputs.Shape[0];
        if (labels is not null && labels.Length != n)
            throw new ArgumentException($"inputs have {n} examples (shape {inputs.Shape}) but there are {labels.Length} labels", nameof(labels));
        if (targets is not null)
        {
            CheckHostTensor(targets, nameof(targets));
            if (targets.Shape[0] != n)
                throw new ArgumentException($"inputs have {n} examples (shape {inputs.Shape}) but targets have shape {targets.Shape}", nameof(targets));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);

        _inputs = inputs;
        _labels = labels;
        _targets = targets;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        _order = new int[n];
        for (int i = 0; i < n; i++) _order[i] = i;

        var target = device ?? Device.Cpu;
        int fullCount = Math.Min(batchSize, n);
        int lastCount = n % batchSize;
        BatchCount = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        _fullBatch = NewBatch(fullCount, target);
        if (lastCount != 0 && lastCount != fullCount && !dropLast) _lastBatch = NewBatch(lastCount, target);
        if (!target.Equals(Device.Cpu))
        {
            // Batches on an accelerator are gathered on the host first, then uploaded in one copy.
            _inputStaging = NewStaging(inputs, fullCount);
            _targetStaging = targets is null ? null : NewStaging(targets, fullCount);
        }
    }

    /// <summary>Examples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a fresh random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the epoch orders (epoch e's order is a function of (Seed, e)).</summary>
    public long Seed { get; }

    /// <summary>Whether the last, smaller batch of an epoch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Number of examples in the data set.</summary>
    public int ExampleCount => _order.Length;

    /// <summary>Batches per epoch.</summary>
    public int BatchCount { get; }

    /// <summary>How many epochs <see cref="Epoch()"/> has started (the number the next one gets).</summary>
    public int EpochsStarted => _epochsStarted;

    /// <summary>An in-order loader for evaluation: no shuffle, keeps the last smaller batch, so it visits every
    /// example once in data-set order.</summary>
    public static DataLoader InOrder(LabeledData data, int batchSize, Device? device = null) =>
        new(data, batchSize, shuffle: false, dropLast: false, device: device);

    /// <summary>In-order loader over inputs and labels (see <see cref="InOrder(LabeledData, int, Device?)"/>).</summary>
    public static DataLoader InOrder(Tensor inputs, int[] labels, int batchSize, Device? device = null) =>
        new(inputs, labels, batchSize, shuffle: false, dropLast: false, device: device);

    /// <summary>The next epoch (numbered <see cref="EpochsStarted"/>, then incremented).</summary>
    public EpochBatches Epoch() => Epoch(_epochsStarted);

    /// <summary>Epoch number <paramref name="epoch"/>: its order is a function of (Seed, epoch) alone. Starting an
    /// epoch reorders the examples, which invalidates an enumeration of the previous one.</summary>
    public EpochBatches Epoch(int epoch) => Epoch(epoch, firstBatch: 0);

    /// <summary>Epoch <paramref name="epoch"/> from batch <paramref name="firstBatch"/> on: the batches an
    /// uninterrupted enumeration would give from that index (a run resumed mid-epoch). The skipped batches are
    /// not gathered.</summary>
    public EpochBatches Epoch(int epoch, int firstBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (firstBatch < 0 || (firstBatch > 0 && firstBatch >= BatchCount))
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"an epoch has {BatchCount} batches ({ExampleCount} examples, batch size {BatchSize})");
        ObjectDisposedException.ThrowIf(_fullBatch.Inputs.IsDisposed, this);
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (Shuffle) SplitMix64.ForStream(Seed, epoch).Shuffle(_order);
        _epochsStarted = Math.Max(_epochsStarted, epoch + 1);
        _generation++;
        return new EpochBatches(this, _generation, firstBatch);
    }

    /// <summary>Returns the batch buffers.</summary>
    public void Dispose()
    {
        DisposeBatch(_fullBatch);
        if (_lastBatch is not null) DisposeBatch(_lastBatch);
    }

    internal ReadOnlySpan<int> OrderSlice(int start, int count) => _order.AsSpan(start, count);

    /// <summary>Fills and returns batch <paramref name="index"/> of the current order.</summary>
    private Batch Fill(int index)
    {
        int start = index * BatchSize;
        int count = Math.Min(BatchSize, _order.Length - start);
        var batch = count == _fullBatch.Count ? _fullBatch : _lastBatch!;
        batch.Index = index;
        var rows = _order.AsSpan(start, count);
        Gather(_inputs, rows, batch.Inputs, _inputStaging);
        if (_targets is not null) Gather(_targets, rows, batch.Targets!, _targetStaging);
        if (_labels is not null)
        {
            var labels = batch.Labels!;
            for (int i = 0; i < rows.Length; i++) labels[i] = _labels[rows[i]];
        }
        return batch;
    }

    private static void Gather(Tensor source, ReadOnlySpan<int> rows, Tensor destination, Array? staging)
    {
        if (source.DType == DType.Float32) Gather<float>(source, rows, destination, (float[]?)staging);
        else Gather<double>(source, rows, destination, (double[]?)staging);
    }

    private static void Gather<T>(Tensor source, ReadOnlySpan<int> rows, Tensor destination, T[]? staging) where T : unmanaged
    {
        int rowSize = source.Shape.Product(1, source.Rank);
        var from = source.AsSpan<T>();
        var to = staging is null ? destination.AsSpan<T>() : staging.AsSpan(0, rows.Length * rowSize);
        for (int i = 0; i < rows.Length; i++)
            from.Slice(rows[i] * rowSize, rowSize).CopyTo(to.Slice(i * rowSize, rowSize));
        if (staging is not null) destination.CopyFrom<T>(to);
    }

    private Batch NewBatch(int count, Device device)
    {
        using (TensorScope.Suspend())
        {
            var inputs = Tensor.Empty(_inputs.Shape.With(0, count), _inputs.DType, device);
            var targets = _targets is null ? null : Tensor.Empty(_targets.Shape.With(0, count), _targets.DType, device);
            return new Batch(this, inputs, _labels is null ? null : new int[count], targets);
        }
    }

    private static Array NewStaging(Tensor source, int count)
    {
        int length = count * source.Shape.Product(1, source.Rank);
        return source.DType == DType.Float32 ? new float[length] : new double[length];
    }

    private static void DisposeBatch(Batch batch)
    {
        batch.Inputs.Dispose();
        batch.Targets?.Dispose();
    }

    private static void CheckHostTensor(Tensor t, string name)
    {
        if (t.Rank == 0)
            throw new ArgumentException($"'{name}' needs a leading example dimension; got a scalar", name);
        if (!t.Device.Equals(Device.Cpu))
            throw new ArgumentException($"'{name}' is on {t.Device}; a DataLoader reads its data from host memory (Device.Cpu)", name);
    }

    /// <summary>The batches of one epoch; a struct so that <c>foreach</c> allocates nothing.</summary>
    public readonly struct EpochBatches
    {
        private readonly DataLoader _loader;
        private readonly int _generation;
        private readonly int _firstBatch;

        internal EpochBatches(DataLoader loader, int generation, int firstBatch)
        {
            _loader = loader;
            _generation = generation;
            _firstBatch = firstBatch;
        }

        /// <summary>Enumerates the epoch's batches.</summary>
        public Enumerator GetEnumerator() => new(_loader, _generation, _firstBatch);
    }

    /// <summary>The enumerator of one epoch's batches (a struct: no allocation).</summary>
    public struct Enumerator
    {
        private readonly DataLoader _loader;
        private readonly int _generation;
        private int _next;

        internal Enumerator(DataLoader loader, int generation, int firstBatch)
        {
            _loader = loader;
            _generation = generation;
            _next = firstBatch;
            Current = null!;
        }

        /// <summary>The current batch (its buffers are reused by the next one).</summary>
        public Batch Current { get; private set; }

        /// <summary>Fills the next batch; false at the end of the epoch. Throws if another epoch was started meanwhile.</summary>
        public bool MoveNext()
        {
            if (_loader._generation != _generation)
                throw new InvalidOperationException("another epoch was started on this DataLoader while this one was being enumerated; its batch buffers and order are shared");
            if (_next >= _loader.BatchCount) return false;
            Current = _loader.Fill(_next++);
            return true;
        }
    }
}
