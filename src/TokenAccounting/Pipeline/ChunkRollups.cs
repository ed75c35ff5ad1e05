namespace TokenAccounting;

/// <summary>
/// The rollup deltas of one drained chunk, summed once on the aggregator so that each sink worker merges one delta per
/// key instead of looking up and adding every record (a key lookup hashes five strings). Aggregator only; the cells
/// are reused chunk after chunk, so summing allocates nothing once the key set is warm.
/// </summary>
internal sealed class ChunkRollups
{
    private readonly Dictionary<UsageRollupKey, RollupCell> _index = [];
    private readonly List<KeyValuePair<UsageRollupKey, RollupCell>> _cells = [];
    private readonly Stack<RollupCell> _free = new();
    private UsageRollupKey _lastKey;
    private RollupCell? _lastCell;

    /// <summary>Gets the deltas of the chunk, one per key.</summary>
    public IReadOnlyList<KeyValuePair<UsageRollupKey, RollupCell>> Cells => _cells;

    /// <summary>Gets whether a delta saturated while summing the chunk.</summary>
    public bool Saturated { get; private set; }

    public void Add(in UsageRollupKey key, UsageRecord record)
    {
        // Records in a burst mostly share their key, field for field the same string instances: compared by reference,
        // the common case skips the hash.
        var cell = _lastCell is not null && SameInstances(key, _lastKey) ? _lastCell : Find(key);
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
        _index.Clear();
        _lastCell = null;
        _lastKey = default;
        Saturated = false;
    }

    private RollupCell Find(in UsageRollupKey key)
    {
        if (!_index.TryGetValue(key, out var cell))
        {
            cell = _free.Count > 0 ? _free.Pop() : new RollupCell();
            _index.Add(key, cell);
            _cells.Add(new(key, cell));
        }

        _lastKey = key;
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
}
