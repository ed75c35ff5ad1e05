namespace TokenAccounting;

/// <summary>
/// Keeps delivered usage in memory, with query helpers for tests: "this code path made 2 chat calls costing
/// $0.0031". Thread-safe. Batches are applied once: a retried batch id is ignored, as a durable sink would.
/// </summary>
public sealed class InMemoryUsageSink : IUsageSink
{
    private readonly object _gate = new();
    private readonly List<UsageRecord> _records = [];
    private readonly Dictionary<UsageRollupKey, RollupCell> _rollups = [];
    private readonly HashSet<string> _batchIds = new(StringComparer.Ordinal);

    /// <summary>Gets a snapshot of the delivered detail records, in delivery order.</summary>
    public IReadOnlyList<UsageRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return _records.ToArray();
            }
        }
    }

    /// <summary>Gets a snapshot of the rollups: the exact sums of every delivered delta, per key.</summary>
    public IReadOnlyList<UsageRollup> Rollups
    {
        get
        {
            lock (_gate)
            {
                return _rollups.Select(pair => new UsageRollup(pair.Key, pair.Value.Tokens, pair.Value.Requests, pair.Value.Cost, pair.Value.Unpriced)).ToArray();
            }
        }
    }

    /// <summary>Gets the number of distinct batches applied.</summary>
    public int BatchCount
    {
        get
        {
            lock (_gate)
            {
                return _batchIds.Count;
            }
        }
    }

    /// <summary>
    /// Gets the totals of all rollups (exact even when details were dropped): tokens, requests, the summed cost of the
    /// priced ones (null when none was priced) and the number of unpriced ones.
    /// </summary>
    public UsageSummary Total => UsageSummary.Of(Sum(static _ => true));

    /// <inheritdoc />
    /// <remarks>Sums saturate at the largest value they can hold rather than overflow. The batch id is remembered only once the batch has applied.</remarks>
    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            if (_batchIds.Contains(batch.BatchId))
            {
                return ValueTask.CompletedTask;
            }

            // Sum into new cells first and swap them in at the end: a batch applies entirely or not at all.
            var updated = new List<(UsageRollupKey Key, RollupCell Cell)>(batch.Rollups.Count);
            foreach (var rollup in batch.Rollups)
            {
                var cell = new RollupCell();
                if (_rollups.TryGetValue(rollup.Key, out var existing))
                {
                    cell.Add(existing.Tokens, existing.Requests, existing.Unpriced, existing.Cost);
                }

                foreach (var (key, pending) in updated)
                {
                    if (key.Equals(rollup.Key))
                    {
                        cell = pending;
                    }
                }

                cell.Add(rollup.Tokens, rollup.RequestCount, rollup.UnpricedRequestCount, rollup.Cost);
                updated.Add((rollup.Key, cell));
            }

            _records.AddRange(batch.Records);
            foreach (var (key, cell) in updated)
            {
                _rollups[key] = cell;
            }

            _batchIds.Add(batch.BatchId);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Gets the detail records that match <paramref name="predicate"/>.</summary>
    public IReadOnlyList<UsageRecord> Where(Func<UsageRecord, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Records.Where(predicate).ToArray();
    }

    /// <summary>Gets rollup totals per model (exact even when details were dropped).</summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByModel() => GroupRollups(k => k.Model);

    /// <summary>Gets rollup totals per user; records without a user are under the empty string.</summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByUser() => GroupRollups(k => k.UserId ?? string.Empty);

    /// <summary>Gets rollup totals per tenant; records without a tenant are under the empty string.</summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByTenant() => GroupRollups(k => k.TenantId ?? string.Empty);

    /// <summary>Gets rollup totals per operation.</summary>
    public IReadOnlyDictionary<UsageOperation, UsageSummary> TotalsByOperation() => GroupRollups(k => k.Operation);

    /// <summary>Gets rollup totals of the keys that match <paramref name="predicate"/>.</summary>
    public UsageSummary Totals(Func<UsageRollupKey, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return UsageSummary.Of(Sum(predicate));
    }

    /// <summary>Forgets everything delivered so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _records.Clear();
            _rollups.Clear();
            _batchIds.Clear();
        }
    }

    private Dictionary<TKey, UsageSummary> GroupRollups<TKey>(Func<UsageRollupKey, TKey> selector)
        where TKey : notnull
    {
        var cells = new Dictionary<TKey, RollupCell>();
        lock (_gate)
        {
            foreach (var pair in _rollups)
            {
                var key = selector(pair.Key);
                if (!cells.TryGetValue(key, out var cell))
                {
                    cells[key] = cell = new RollupCell();
                }

                cell.Add(pair.Value);
            }
        }

        return cells.ToDictionary(pair => pair.Key, pair => UsageSummary.Of(pair.Value));
    }

    private RollupCell Sum(Func<UsageRollupKey, bool> predicate)
    {
        // Summed as the rollups are: saturating, never wrapping.
        var sum = new RollupCell();
        lock (_gate)
        {
            foreach (var pair in _rollups)
            {
                if (predicate(pair.Key))
                {
                    sum.Add(pair.Value);
                }
            }
        }

        return sum;
    }
}
