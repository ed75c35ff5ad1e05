namespace TokenAccounting;

/// <summary>
/// The rollup deltas of one drained chunk, summed once on the aggregator so that each sink worker merges one delta per
/// key instead of looking up and adding every record (a key lookup hashes five strings). Aggregator only; the cells
/// are reused chunk after chunk, so summing allocates nothing once the key set is warm.
/// </summary>
/// <remarks>
/// A chunk's cell is finer than a rollup key: records of one key but another response model, or an operation spelled
/// differently (keys compare it case-insensitively), get cells of their own. The sink workers merge them per key all
/// the same; the metrics stage publishes its counters per attribute set from these sums
/// (<see cref="PipelineMetrics.PublishChunk"/>), so a record's tokens and cost are summed once, here.
/// </remarks>
internal sealed class ChunkRollups
{
    private readonly Dictionary<ChunkKey, RollupCell> _index = [];
    private readonly List<KeyValuePair<UsageRollupKey, RollupCell>> _cells = [];
    private readonly List<string?> _responseModels = [];
    private readonly Stack<RollupCell> _free = new();
    private UsageRollupKey _lastKey;
    private string? _lastResponseModel;
    private RollupCell? _lastCell;

    /// <summary>Gets the deltas of the chunk (one or more per key).</summary>
    public IReadOnlyList<KeyValuePair<UsageRollupKey, RollupCell>> Cells => _cells;

    /// <summary>Gets whether a delta saturated while summing the chunk.</summary>
    public bool Saturated { get; private set; }

    /// <summary>Gets the response model of the records summed in <see cref="Cells"/>[<paramref name="index"/>].</summary>
    public string? ResponseModelOf(int index) => _responseModels[index];

    public void Add(in UsageRollupKey key, UsageRecord record)
    {
        // Records in a burst mostly share their key, field for field the same string instances: compared by reference,
        // the common case skips the hash.
        var responseModel = record.ResponseModel;
        var cell = _lastCell is not null && ReferenceEquals(responseModel, _lastResponseModel) && SameInstances(key, _lastKey)
            ? _lastCell
            : Find(key, responseModel);
        if (!cell.Add(record))
        {
            Saturated = true;
        }
    }

    /// <summary>Empties the deltas for the next chunk (the cells go back to the pool).</summary>
    public void Clear()
    {
        foreach (var pair in _cells)
        {
            pair.Value.Clear();
            _free.Push(pair.Value);
        }

        _cells.Clear();
        _responseModels.Clear();
        _index.Clear();
        _lastCell = null;
        _lastKey = default;
        _lastResponseModel = null;
        Saturated = false;
    }

    private RollupCell Find(in UsageRollupKey key, string? responseModel)
    {
        var chunkKey = new ChunkKey(key, key.Operation.Value, responseModel);
        if (!_index.TryGetValue(chunkKey, out var cell))
        {
            cell = _free.Count > 0 ? _free.Pop() : new RollupCell();
            _index.Add(chunkKey, cell);
            _cells.Add(new(key, cell));
            _responseModels.Add(responseModel);
        }

        _lastKey = key;
        _lastResponseModel = responseModel;
        _lastCell = cell;
        return cell;
    }

    private static bool SameInstances(in UsageRollupKey a, in UsageRollupKey b) =>
        a.Date == b.Date
        && ReferenceEquals(a.Model, b.Model)
        && ReferenceEquals(a.Provider, b.Provider)
        && ReferenceEquals(a.Operation.Value, b.Operation.Value)
        && ReferenceEquals(a.UserId, b.UserId)
        && ReferenceEquals(a.TenantId, b.TenantId)
        && ReferenceEquals(a.ApiKeyId, b.ApiKeyId);

    /// <summary>A cell's identity: the rollup key, its operation spelled exactly (ordinal), and the response model.</summary>
    private readonly record struct ChunkKey(UsageRollupKey Key, string Operation, string? ResponseModel);
}
