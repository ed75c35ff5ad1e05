namespace TokenAccounting.Tool.Ledgers;

/// <summary>A ledger opened for reading: its queries, its detail records when it can stream them, and what to say about it.</summary>
internal sealed class OpenedLedger(string description, LedgerKind kind, IUsageQuery query, Func<CancellationToken, IAsyncEnumerable<UsageRecord>>? records, IDisposable? owner) : IDisposable
{
    public string Description { get; } = description;

    public LedgerKind Kind { get; } = kind;

    public IUsageQuery Query { get; } = query;

    /// <summary>
    /// Streams every detail line's record (JSON-lines only: the SQL ledgers are read through their queries). Details the
    /// pipeline dropped under overload are missing here; <see cref="Query"/> still counts them from the rollup lines.
    /// </summary>
    public Func<CancellationToken, IAsyncEnumerable<UsageRecord>>? Records { get; } = records;

    public void Dispose() => owner?.Dispose();
}

internal enum LedgerKind
{
    JsonLines,
    Sqlite,
    PostgreSql,
}
