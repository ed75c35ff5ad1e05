using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// A SQL ledger on PostgreSQL that many app instances share: an <see cref="IUsageSink"/> that applies each batch
/// exactly once (details, rollup deltas and the batch id in one transaction) and an <see cref="IUsageQuery"/> over
/// what every instance stored.
/// </summary>
/// <remarks>
/// The schema is created and migrated on first use. Details go in by one binary COPY straight into
/// <c>usage_records</c>, encoded by the ledger; when an id is already stored (a record re-sent in another batch) the
/// copy is rolled back to a savepoint and redone through a temporary staging table and
/// <c>INSERT … SELECT … ON CONFLICT (id) DO NOTHING</c>, keeping the first copy. Rollups go in by one
/// <c>INSERT … SELECT unnest(…), unnest(…), … ON CONFLICT … DO UPDATE SET x = LEAST(x + EXCLUDED.x, max)</c> (sums saturate at
/// <see cref="long.MaxValue"/> and <see cref="decimal.MaxValue"/>, never fail), pre-aggregated
/// per batch and in key order (so concurrent writers lock rows in the same order). A batch with rollups and no details
/// is one statement and one round trip. Thread-safe.
/// </remarks>
public sealed partial class PostgreSqlUsageLedger : IUsageSink, IUsageQuery, IAsyncDisposable, IDisposable
{
    private static readonly string[] RecordColumns = LedgerDetailRows.Columns;

    private static readonly string InsertBatchSql =
        "INSERT INTO usage_batches (batch_id, applied_at, record_count, rollup_count) VALUES ($1, $2, $3, $4) ON CONFLICT (batch_id) DO NOTHING";

    private static readonly string CreateStagingSql =
        "CREATE TEMP TABLE IF NOT EXISTS usage_records_staging (LIKE usage_records) ON COMMIT DELETE ROWS";

    private static readonly short RecordColumnCount = (short)RecordColumns.Length;

    private static readonly string CopySql =
        $"COPY usage_records ({string.Join(", ", RecordColumns)}) FROM STDIN (FORMAT BINARY)";

    private static readonly string CopyToStagingSql =
        $"COPY usage_records_staging ({string.Join(", ", RecordColumns)}) FROM STDIN (FORMAT BINARY)";

    private const string SavepointSql = "SAVEPOINT ta_details";

    private const string RollbackToSavepointSql = "ROLLBACK TO SAVEPOINT ta_details";

    // A record re-sent in another batch keeps its first copy; rollups count it through their own deltas.
    private static readonly string MoveStagedSql =
        $"INSERT INTO usage_records ({string.Join(", ", RecordColumns)}) SELECT {string.Join(", ", RecordColumns)} FROM usage_records_staging ON CONFLICT (id) DO NOTHING";

    private static readonly string UpsertRollupsSql = RollupUpsert(applyOnlyIfBatchIsNew: false);
    private static readonly string ApplyRollupOnlyBatchSql = RollupUpsert(applyOnlyIfBatchIsNew: true);

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgreSqlLedgerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly SchemaGate _schema;
    private readonly SemaphoreSlim _trimGate = new(1, 1);
    private long _lastTrimTicks = long.MinValue;

    /// <summary>Creates a ledger that owns a data source built from <see cref="PostgreSqlLedgerOptions.ConnectionString"/>.</summary>
    /// <param name="options">The options; <see cref="PostgreSqlLedgerOptions.ConnectionString"/> is required here.</param>
    /// <param name="timeProvider">The clock for applied-at stamps and retention; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">An option is invalid or the connection string is missing; the message names it.</exception>
    public PostgreSqlUsageLedger(PostgreSqlLedgerOptions options, TimeProvider? timeProvider = null)
        : this(CreateDataSource(options), ownsDataSource: true, options, timeProvider)
    {
    }

    /// <summary>Creates a ledger over a data source that the caller owns (and disposes).</summary>
    /// <param name="dataSource">The data source.</param>
    /// <param name="options">The options; <see cref="PostgreSqlLedgerOptions.ConnectionString"/> is ignored. Defaults when null.</param>
    /// <param name="timeProvider">The clock for applied-at stamps and retention; <see cref="TimeProvider.System"/> when null.</param>
    public PostgreSqlUsageLedger(NpgsqlDataSource dataSource, PostgreSqlLedgerOptions? options = null, TimeProvider? timeProvider = null)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource: false, options ?? new PostgreSqlLedgerOptions(), timeProvider)
    {
    }

    private PostgreSqlUsageLedger(NpgsqlDataSource dataSource, bool ownsDataSource, PostgreSqlLedgerOptions options, TimeProvider? timeProvider)
    {
        options.Validate();
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _schema = new SchemaGate(dataSource, _timeProvider);
    }

    /// <summary>Gets the data source, shared with the budget counter registered beside the ledger.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>A test seam: runs after a batch's transaction has committed and before <see cref="WriteAsync"/> returns.</summary>
    internal Action<UsageBatch>? AfterCommit { get; set; }

    /// <summary>Applies a batch: its details, its rollup deltas and its id, in one transaction. A batch whose id was applied before changes nothing.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the write before it commits.</param>
    /// <exception cref="UsageSinkRejectedException">
    /// The batch holds data PostgreSQL cannot store (SQLSTATE class 22 data exception, 23 integrity violation, 54 program
    /// limit exceeded — for example a rollup key over the index row limit — or a value that cannot be encoded or summed);
    /// nothing of it was applied. Connection loss, timeouts and server-side transient states (08, 40001, 53, 57P0x) stay
    /// <see cref="NpgsqlException"/>s with <see cref="System.Data.Common.DbException.IsTransient"/> set, and are retried.
    /// </exception>
    public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            await WriteCoreAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (IsDataError(ex.SqlState))
        {
            throw new UsageSinkRejectedException($"The PostgreSQL usage ledger cannot store batch {batch.BatchId}: {ex.SqlState} {ex.MessageText}", ex);
        }
        catch (Exception ex) when (ex is OverflowException or System.Text.EncoderFallbackException || (ex is ArgumentException and not ArgumentNullException))
        {
            throw new UsageSinkRejectedException($"The PostgreSQL usage ledger cannot store batch {batch.BatchId}: {ex.Message}", ex);
        }
    }

    /// <summary>Data errors: the batch's content is at fault, so retrying the same batch cannot succeed.</summary>
    private static bool IsDataError(string sqlState) =>
        sqlState.StartsWith("22", StringComparison.Ordinal) || sqlState.StartsWith("23", StringComparison.Ordinal) || sqlState.StartsWith("54", StringComparison.Ordinal);

    private async Task WriteCoreAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        var rollups = LedgerRows.Aggregate(batch.Rollups);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var applied = batch.Records.Count == 0
                ? await ApplyRollupsOnlyAsync(connection, batch, rollups, now, cancellationToken).ConfigureAwait(false)
                : await ApplyAsync(connection, batch, rollups, now, cancellationToken).ConfigureAwait(false);
            if (applied)
            {
                AfterCommit?.Invoke(batch);
            }
        }

        var last = Interlocked.Read(ref _lastTrimTicks);
        if (last == long.MinValue || now.UtcTicks - last >= _options.TrimInterval.Ticks)
        {
            await TrimCoreAsync(now, onlyIfDue: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes details older than <see cref="PostgreSqlLedgerOptions.DetailRetention"/> and batch ids older than
    /// <see cref="PostgreSqlLedgerOptions.AppliedBatchRetention"/>; rollups are kept. <see cref="WriteAsync"/> calls
    /// this at most once per <see cref="PostgreSqlLedgerOptions.TrimInterval"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the trim.</param>
    /// <returns>The number of detail records deleted.</returns>
    public async ValueTask<int> TrimAsync(CancellationToken cancellationToken = default)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        return await TrimCoreAsync(_timeProvider.GetUtcNow(), onlyIfDue: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the data source when the ledger created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }

        _trimGate.Dispose();
    }

    /// <summary>Disposes the data source when the ledger created it (for containers disposed synchronously).</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }

        _trimGate.Dispose();
    }

    private static NpgsqlDataSource CreateDataSource(PostgreSqlLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("PostgreSqlLedgerOptions.ConnectionString is required when the ledger creates its own data source.", nameof(options));
        }

        // The ledger sets no session state, so connections need no reset (a round trip) when they return to the pool.
        return NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(options.ConnectionString) { NoResetOnClose = true }.ConnectionString);
    }

    private static string RollupUpsert(bool applyOnlyIfBatchIsNew)
    {
        string[] keys = ["date", "model", "provider", "operation", "user_id", "tenant_id", "api_key_id"];
        string[] sums = [.. LedgerQueryRows.TokenColumns, "request_count", "unpriced_request_count", .. LedgerQueryRows.CostColumns];
        string[] types =
        [
            "date", "text", "text", "text", "text", "text", "text",
            .. Enumerable.Repeat("bigint", LedgerQueryRows.TokenColumns.Length + 2),
            .. Enumerable.Repeat("numeric", LedgerQueryRows.CostColumns.Length),
        ];
        var first = applyOnlyIfBatchIsNew ? 5 : 1;
        // One unnest per array in the select list (they advance together), not unnest(a, b, …) in FROM: a function in
        // FROM is materialized into a tuplestore whose memory the backend allocates and returns to the OS on every
        // execution (brk and TLB flushes), which took about half of the server's CPU per rollup batch.
        var unnest = string.Join(", ", types.Select((t, i) => $"unnest(${i + first}::{t}[])"));
        var columns = string.Join(", ", keys.Concat(sums));
        // Saturating, never failing: bigint + bigint raises 22003 on overflow, and a numeric cost beyond decimal could not be read back.
        var updates = string.Join(", ", sums.Select((c, i) => types[keys.Length + i] == "bigint"
            ? $"{c} = CASE WHEN r.{c} > {LedgerArithmetic.MaxCountSql} - EXCLUDED.{c} THEN {LedgerArithmetic.MaxCountSql} ELSE r.{c} + EXCLUDED.{c} END"
            : $"{c} = LEAST(r.{c} + EXCLUDED.{c}, {LedgerArithmetic.MaxMoneySql})"));
        var sql = $"INSERT INTO usage_rollups AS r ({columns}) SELECT {unnest}"
            + (applyOnlyIfBatchIsNew ? " WHERE EXISTS (SELECT 1 FROM applied)" : string.Empty)
            + $" ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {updates}";

        // The statement yields 1 when the batch was new (and its rollups were added), 0 when it was applied before.
        return applyOnlyIfBatchIsNew
            ? $"WITH applied AS ({InsertBatchSql} RETURNING 1), upserted AS ({sql} RETURNING 1) SELECT COUNT(*)::int FROM applied"
            : sql;
    }

    private static void AddBatchParameters(NpgsqlParameterCollection parameters, UsageBatch batch, DateTimeOffset now)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.BatchId });
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Records.Count });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Rollups.Count });
    }

    private static void AddRollupParameters(NpgsqlParameterCollection parameters, List<RollupRow> rows)
    {
        parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. rows.Select(r => r.Key.Date)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Key.Model)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Key.Provider)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Key.Operation)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Key.UserId)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Key.TenantId)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Key.ApiKeyId)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.Input)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.Output)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.CachedInput)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.CacheWriteInput)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.CacheWriteLongTtlInput)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.Reasoning)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.InputAudio)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.CachedInputAudio)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Tokens.OutputAudio)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Requests)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. rows.Select(r => r.Unpriced)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.Input)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.CachedInput)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.CacheWrite)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.Output)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.Reasoning)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.CacheWriteLongTtl)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.InputAudio)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.CachedInputAudio)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.OutputAudio)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.Requests)] });
        parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = [.. rows.Select(r => r.Cost.ServerToolCalls)] });
    }

    /// <summary>A batch without details: the batch id insert and the rollup upsert as one statement (one round trip, its own transaction).</summary>
    private static async Task<bool> ApplyRollupsOnlyAsync(NpgsqlConnection connection, UsageBatch batch, List<RollupRow> rollups, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(rollups.Count == 0 ? InsertBatchSql : ApplyRollupOnlyBatchSql, connection);
        await using (command.ConfigureAwait(false))
        {
            AddBatchParameters(command.Parameters, batch, now);
            if (rollups.Count > 0)
            {
                AddRollupParameters(command.Parameters, rollups);
            }

            // Prepared once per physical connection (Npgsql keeps it across pool rentals): no parse or plan per batch.
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            if (rollups.Count == 0)
            {
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            }

            return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
        }
    }

    private static async Task<bool> ApplyAsync(NpgsqlConnection connection, UsageBatch batch, List<RollupRow> rollups, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var start = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands = { new NpgsqlBatchCommand(InsertBatchSql), new NpgsqlBatchCommand(SavepointSql) },
            };
            await using (start.ConfigureAwait(false))
            {
                AddBatchParameters(start.BatchCommands[0].Parameters, batch, now);
                await start.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (start.BatchCommands[0].RecordsAffected == 0)
                {
                    // Applied before (a retry after a lost acknowledgement): change nothing.
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }
            }

            try
            {
                await CopyRecordsAsync(connection, CopySql, batch, now, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Some detail id is stored already (a record re-sent in another batch, or twice in this one): undo the
                // fast copy and insert through a staging table, keeping the first copy of every id.
                await InsertThroughStagingAsync(connection, transaction, batch, now, cancellationToken).ConfigureAwait(false);
            }

            if (rollups.Count > 0)
            {
                var upsert = new NpgsqlCommand(UpsertRollupsSql, connection, transaction);
                await using (upsert.ConfigureAwait(false))
                {
                    AddRollupParameters(upsert.Parameters, rollups);
                    await upsert.PrepareAsync(cancellationToken).ConfigureAwait(false);
                    await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    private static async Task InsertThroughStagingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, UsageBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var prepare = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new NpgsqlBatchCommand(RollbackToSavepointSql), new NpgsqlBatchCommand(CreateStagingSql) },
        };
        await using (prepare.ConfigureAwait(false))
        {
            await prepare.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await CopyRecordsAsync(connection, CopyToStagingSql, batch, now, cancellationToken).ConfigureAwait(false);
        var move = new NpgsqlCommand(MoveStagedSql, connection, transaction);
        await using (move.ConfigureAwait(false))
        {
            await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CopyRecordsAsync(NpgsqlConnection connection, string copySql, UsageBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stream = await connection.BeginRawBinaryCopyAsync(copySql, cancellationToken).ConfigureAwait(false);
        var completed = false;
        using var rows = new BinaryCopyWriter(stream);
        try
        {
            var records = batch.Records;
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                var tokens = record.Tokens;
                var cost = record.Cost;
                await rows.StartRowAsync(RecordColumnCount, cancellationToken).ConfigureAwait(false);
                rows.Text(LedgerRows.Id(record, batch.BatchId, i));
                rows.Text(batch.BatchId);
                rows.Text(record.Model);
                rows.Text(record.ResponseModel);
                rows.Text(record.Provider);
                rows.Text(LedgerRows.Operation(record.Operation));
                rows.Int64(tokens.Input);
                rows.Int64(tokens.Output);
                rows.Int64(tokens.CachedInput);
                rows.Int64(tokens.CacheWriteInput);
                rows.Int64(tokens.CacheWriteLongTtlInput);
                rows.Int64(tokens.Reasoning);
                rows.Text(LedgerRows.Provenance(record.Provenance));
                rows.Text(LedgerRows.Outcome(record.Outcome));
                rows.Text(record.DegradedReason);
                rows.TimestampTz(record.StartedAt);
                rows.TimestampTz(LedgerRows.CompletedAt(record, now));
                rows.Int64(LedgerRows.LatencyMicroseconds(record.Latency));
                rows.Jsonb(LedgerRows.StageDurationsJson(record.StageDurations));
                rows.Int32(record.HistoryLength);
                rows.Text(record.CorrelationId);
                rows.Text(record.UserId);
                rows.Text(record.TenantId);
                rows.Text(record.ApiKeyId);
                rows.Text(record.Route);
                rows.Text(record.ServiceTier);
                rows.Text(record.ScopePath);
                rows.JsonbTags(record.Tags);
                rows.Numeric(cost?.Input);
                rows.Numeric(cost?.CachedInput);
                rows.Numeric(cost?.CacheWrite);
                rows.Numeric(cost?.Output);
                rows.Numeric(cost?.Reasoning);
                rows.Numeric(cost?.Total);
                rows.Text(record.Text);
                rows.Boolean(record.IsUnpaired);
                rows.Numeric(cost?.CacheWriteLongTtl);
                rows.Int64(tokens.InputAudio);
                rows.Int64(tokens.CachedInputAudio);
                rows.Int64(tokens.OutputAudio);
                rows.JsonbServerToolCalls(record.ServerToolCalls);
                rows.Numeric(cost?.InputAudio);
                rows.Numeric(cost?.CachedInputAudio);
                rows.Numeric(cost?.OutputAudio);
                rows.Numeric(cost?.Requests);
                rows.Numeric(cost?.ServerToolCalls);
            }

            await rows.CompleteAsync(cancellationToken).ConfigureAwait(false);
            completed = true;

            // Ends the COPY; errors the server raised while reading the rows (a duplicate id) surface here.
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch when (!completed)
        {
            await stream.CancelAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask<int> TrimCoreAsync(DateTimeOffset now, bool onlyIfDue, CancellationToken cancellationToken)
    {
        await _trimGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var last = Interlocked.Read(ref _lastTrimTicks);
            if (onlyIfDue && last != long.MinValue && now.UtcTicks - last < _options.TrimInterval.Ticks)
            {
                return 0;
            }

            Interlocked.Exchange(ref _lastTrimTicks, now.UtcTicks);
            var batch = _dataSource.CreateBatch();
            await using (batch.ConfigureAwait(false))
            {
                if (_options.DetailRetention is { } retention)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM usage_records WHERE completed_at < $1")
                    {
                        Parameters = { new NpgsqlParameter<DateTimeOffset> { TypedValue = (now - retention).ToUniversalTime() } },
                    });
                }

                batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM usage_batches WHERE applied_at < $1")
                {
                    Parameters = { new NpgsqlParameter<DateTimeOffset> { TypedValue = (now - _options.AppliedBatchRetention).ToUniversalTime() } },
                });
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return _options.DetailRetention is null ? 0 : batch.BatchCommands[0].RecordsAffected;
            }
        }
        finally
        {
            _trimGate.Release();
        }
    }
}
