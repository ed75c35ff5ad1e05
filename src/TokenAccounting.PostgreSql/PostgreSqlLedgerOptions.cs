namespace TokenAccounting.PostgreSql;

/// <summary>Options of <see cref="PostgreSqlUsageLedger"/>.</summary>
public sealed class PostgreSqlLedgerOptions
{
    /// <summary>
    /// Gets or sets the Npgsql connection string. When null, the ledger registered by <c>AddPostgreSqlLedger</c> uses
    /// an <c>NpgsqlDataSource</c> from the service provider.
    /// </summary>
    /// <remarks>
    /// The data source the ledger builds from it sets <c>No Reset On Close=true</c>: the ledger sets no session state,
    /// and resetting a connection each time it returns to the pool costs a round trip per batch. Pass your own
    /// <c>NpgsqlDataSource</c> to decide otherwise.
    /// </remarks>
    /// <value>The default value is null.</value>
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
    /// Gets or sets how often <see cref="PostgreSqlUsageLedger.WriteAsync"/> trims old details and batch ids, after a
    /// write has committed (at most once per interval per ledger instance).
    /// </summary>
    /// <value>The default value is 1 hour. At least 1 second.</value>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Throws when an option is invalid; the message names the option and the rule.</summary>
    internal void Validate()
    {
        if (ConnectionString is not null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("PostgreSqlLedgerOptions.ConnectionString must not be empty (set a connection string, or leave it null to use an NpgsqlDataSource).", nameof(ConnectionString));
        }

        if (DetailRetention is { } retention && retention < TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(DetailRetention), retention, "PostgreSqlLedgerOptions.DetailRetention must be at least 1 hour (or null to keep details forever).");
        }

        if (AppliedBatchRetention < TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(AppliedBatchRetention), AppliedBatchRetention, "PostgreSqlLedgerOptions.AppliedBatchRetention must be at least 1 hour.");
        }

        if (TrimInterval < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(TrimInterval), TrimInterval, "PostgreSqlLedgerOptions.TrimInterval must be at least 1 second.");
        }
    }
}
