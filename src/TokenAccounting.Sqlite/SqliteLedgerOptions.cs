namespace TokenAccounting.Sqlite;

/// <summary>Options of <see cref="SqliteUsageLedger"/>.</summary>
public sealed class SqliteLedgerOptions
{
    /// <summary>
    /// Gets or sets the SQLite connection string, for example <c>"Data Source=ledger/usage.db"</c>. The folder of the
    /// file is created when missing. Required.
    /// </summary>
    /// <value>The default value is null (must be set).</value>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Gets or sets how long detail records are kept (by <see cref="UsageRecord.CompletedAt"/>); older ones are trimmed.
    /// Rollups are never trimmed. Null keeps details forever.
    /// </summary>
    /// <value>The default value is null (keep forever). When set, at least 1 hour.</value>
    public TimeSpan? DetailRetention { get; set; }

    /// <summary>Gets or sets how long applied batch ids are remembered; a retry older than this would be applied again.</summary>
    /// <value>The default value is 7 days. At least 1 hour.</value>
    public TimeSpan AppliedBatchRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Gets or sets how often <see cref="SqliteUsageLedger.WriteAsync"/> trims old details and batch ids, after a
    /// write has committed (at most once per interval).
    /// </summary>
    /// <value>The default value is 1 hour. At least 1 second.</value>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Throws when an option is invalid; the message names the option and the rule.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("SqliteLedgerOptions.ConnectionString is required, for example \"Data Source=ledger/usage.db\".", nameof(ConnectionString));
        }

        if (DetailRetention is { } retention && retention < TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(DetailRetention), retention, "SqliteLedgerOptions.DetailRetention must be at least 1 hour (or null to keep details forever).");
        }

        if (AppliedBatchRetention < TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(AppliedBatchRetention), AppliedBatchRetention, "SqliteLedgerOptions.AppliedBatchRetention must be at least 1 hour.");
        }

        if (TrimInterval < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(TrimInterval), TrimInterval, "SqliteLedgerOptions.TrimInterval must be at least 1 second.");
        }
    }
}
