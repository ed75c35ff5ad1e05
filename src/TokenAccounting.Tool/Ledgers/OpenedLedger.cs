namespace TokenAccounting.Tool.Ledgers;

/// <summary>A ledger opened for reading: its queries, its detail records when it can stream them, and what to say about it.</summary>
internal sealed class OpenedLedger(string description, LedgerKind kind, IUsageQuery query, Func<DateTimeOffset, DateTimeOffset, CancellationToken, IAsyncEnumerable<UsageRecord>> records, IDisposable? owner) : IDisposable
{
    public string Description { get; } = description;

    public LedgerKind Kind { get; } = kind;

    public IUsageQuery Query { get; } = query;

    /// <summary>
    /// Streams the stored detail records completed in [from, to) (a JSON-lines ledger streams all of its detail lines;
    /// the caller filters). Details the pipeline dropped under overload, or a SQL ledger's retention trimmed, are missing
    /// here; <see cref="Query"/> still counts them from the rollups.
    /// </summary>
    public Func<DateTimeOffset, DateTimeOffset, CancellationToken, IAsyncEnumerable<UsageRecord>> Records { get; } = records;

    /// <summary>What this ledger calls one stored detail record, for messages: "detail lines" or "detail rows".</summary>
    public string DetailsName => Kind == LedgerKind.JsonLines ? "detail lines" : "detail rows";

    public void Dispose() => owner?.Dispose();
}

internal enum LedgerKind
{
    JsonLines,
    Sqlite,
    PostgreSql,
}
