using Npgsql;
using NpgsqlTypes;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// An <see cref="IBudgetStore"/> in PostgreSQL, so that every app instance pointing at the same database enforces
/// one budget, and a restarted instance finds the usage of the current window where it left it. Counters live in
/// <c>usage_budget_counters</c> (created on first use, like the ledger's tables).
/// </summary>
/// <remarks>
/// <para>Fixed windows (<see cref="BudgetWindow.UtcDay"/>, <see cref="BudgetWindow.UtcMonth"/>,
/// <see cref="BudgetWindow.Lifetime"/>) are one row per policy, subject and window (keys <c>day:yyyy-MM-dd</c>,
/// <c>month:yyyy-MM</c>, <c>lifetime</c>), and every operation is one atomic statement; a hard reservation is
/// <c>INSERT … SELECT … WHERE 0 &lt; limit AND amount &lt;= limit ON CONFLICT … DO UPDATE SET used = used + amount
/// WHERE used &lt; limit AND used + amount &lt;= limit RETURNING used</c>, so racing instances admit exactly what fits.</para>
/// <para>Rolling windows are summed over 61 fixed buckets of <c>⌈Duration / 60⌉</c>: an amount counts for at least
/// <c>Duration</c> and at most one bucket longer. A reservation takes a transaction-scoped advisory lock on the budget
/// (so reservations on one counter serialize across instances), sums the window, adds to the current bucket only if
/// the sum allows it, and deletes the buckets that slid out — one round trip plus the commit.</para>
/// <para>Adjustments (commit, release) go to the window of the reservation's moment; a window that has ended keeps the
/// adjustment as history and the current window is not touched. Usage never goes below zero (per bucket for rolling
/// windows).</para>
/// </remarks>
public sealed class PostgreSqlBudgetStore : IBudgetStore
{
    // Advisory lock space for budget counters (the two-integer form, distinct from the schema's one-bigint lock).
    private const int LockClass = 0x54414267;

    private const string FixedReserveSql =
        "INSERT INTO usage_budget_counters AS c (budget_key, window_key, used, updated_at) SELECT $1, $2, $3, $5 WHERE 0 < $4 AND $3 <= $4 "
        + "ON CONFLICT (budget_key, window_key) DO UPDATE SET used = c.used + EXCLUDED.used, updated_at = EXCLUDED.updated_at "
        + "WHERE c.used < $4 AND c.used + EXCLUDED.used <= $4 RETURNING c.used";

    private const string FixedAdjustSql =
        "INSERT INTO usage_budget_counters AS c (budget_key, window_key, used, updated_at) VALUES ($1, $2, GREATEST($3, 0), $4) "
        + "ON CONFLICT (budget_key, window_key) DO UPDATE SET used = GREATEST(LEAST(c.used + $3, 79228162514264337593543950335), 0), updated_at = EXCLUDED.updated_at RETURNING c.used";

    private const string FixedReadSql = "SELECT used FROM usage_budget_counters WHERE budget_key = $1 AND window_key = $2";

    private const string LockSql = "SELECT pg_advisory_xact_lock($1, hashtext($2))";

    // $1 budget, $2 oldest bucket, $3 current bucket, $4 amount, $5 limit or null, $6 now.
    private const string RollingReserveSql =
        "WITH s AS (SELECT LEAST(COALESCE(SUM(used), 0), 79228162514264337593543950335) AS used FROM usage_budget_counters "
        + "WHERE budget_key = $1 AND window_key COLLATE \"C\" >= $2 AND window_key COLLATE \"C\" <= $3), "
        + "ins AS (INSERT INTO usage_budget_counters AS c (budget_key, window_key, used, updated_at) SELECT $1, $3, $4, $6 FROM s "
        + "WHERE $5::numeric IS NULL OR (s.used < $5 AND s.used + $4 <= $5) "
        + "ON CONFLICT (budget_key, window_key) DO UPDATE SET used = LEAST(c.used + EXCLUDED.used, 79228162514264337593543950335), updated_at = EXCLUDED.updated_at RETURNING 1) "
        + "SELECT s.used, EXISTS (SELECT 1 FROM ins) FROM s";

    // $1 budget, $2 oldest bucket, $3 current bucket: the window's buckets, oldest first (read on a denial only).
    private const string RollingBucketsSql =
        "SELECT window_key, LEAST(used, 79228162514264337593543950335) FROM usage_budget_counters "
        + "WHERE budget_key = $1 AND window_key COLLATE \"C\" >= $2 AND window_key COLLATE \"C\" <= $3 ORDER BY window_key COLLATE \"C\"";

    // $1 budget, $2 prefix of the window's buckets, $3 oldest bucket still in the window.
    private const string RollingTrimSql =
        "DELETE FROM usage_budget_counters WHERE budget_key = $1 AND window_key COLLATE \"C\" >= $2 AND window_key COLLATE \"C\" < $3";

    // $1 budget, $2 oldest bucket, $3 the moment's bucket, $4 delta, $5 now, $6 after every bucket. The sum of the
    // other buckets reads the statement's snapshot, which excludes the upsert, so the two parts add up.
    private const string RollingAdjustSql =
        "WITH up AS (INSERT INTO usage_budget_counters AS c (budget_key, window_key, used, updated_at) VALUES ($1, $3, GREATEST($4, 0), $5) "
        + "ON CONFLICT (budget_key, window_key) DO UPDATE SET used = GREATEST(LEAST(c.used + $4, 79228162514264337593543950335), 0), updated_at = EXCLUDED.updated_at RETURNING c.used) "
        + "SELECT LEAST((SELECT used FROM up) + COALESCE((SELECT SUM(used) FROM usage_budget_counters "
        + "WHERE budget_key = $1 AND window_key COLLATE \"C\" >= $2 AND window_key COLLATE \"C\" <= $6 AND window_key <> $3), 0), 79228162514264337593543950335)";

    private const string RollingReadSql =
        "SELECT LEAST(COALESCE(SUM(used), 0), 79228162514264337593543950335) FROM usage_budget_counters WHERE budget_key = $1 AND window_key COLLATE \"C\" >= $2 AND window_key COLLATE \"C\" <= $3";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _timeProvider;
    private readonly SchemaGate _schema;

    /// <summary>Creates a store over a data source that the caller owns (and disposes).</summary>
    /// <param name="dataSource">The database shared by the app instances.</param>
    /// <param name="timeProvider">The clock for the rows' <c>updated_at</c> only (windows follow <see cref="BudgetCounter.At"/>); <see cref="TimeProvider.System"/> when null.</param>
    public PostgreSqlBudgetStore(NpgsqlDataSource dataSource, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _schema = new SchemaGate(dataSource, _timeProvider);
    }

    /// <summary>Gets the data source the counters live in (internal, as the ledger's: its owner already holds it).</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <inheritdoc />
    public async ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var budgetKey = BudgetKeys.BudgetKey(counter);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        if (counter.Window.Kind == BudgetWindowKind.Rolling)
        {
            return await TryAddRollingAsync(budgetKey, counter, amount, limit, cancellationToken).ConfigureAwait(false);
        }

        var windowKey = BudgetKeys.FixedWindowKey(counter.Window, counter.At);
        if (limit is not { } max)
        {
            return new BudgetStoreResult(true, await AdjustFixedAsync(budgetKey, windowKey, amount, cancellationToken).ConfigureAwait(false));
        }

        var command = _dataSource.CreateCommand(FixedReserveSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = windowKey });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = amount });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = max });
            command.Parameters.Add(Now());
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is decimal used)
            {
                return new BudgetStoreResult(true, used);
            }
        }

        // Denied: the usage that denied it, read after the fact (it only feeds the exception's message).
        return new BudgetStoreResult(false, await ReadFixedAsync(budgetKey, windowKey, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default)
    {
        var budgetKey = BudgetKeys.BudgetKey(counter);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        if (counter.Window.Kind != BudgetWindowKind.Rolling)
        {
            return await AdjustFixedAsync(budgetKey, BudgetKeys.FixedWindowKey(counter.Window, counter.At), delta, cancellationToken).ConfigureAwait(false);
        }

        var keys = BudgetKeys.Rolling(counter.Window, counter.At);
        var command = _dataSource.CreateCommand(RollingAdjustSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Oldest });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Current });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = delta });
            command.Parameters.Add(Now());
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Last });
            return (decimal)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <inheritdoc />
    public async ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default)
    {
        var budgetKey = BudgetKeys.BudgetKey(counter);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        if (counter.Window.Kind != BudgetWindowKind.Rolling)
        {
            return await ReadFixedAsync(budgetKey, BudgetKeys.FixedWindowKey(counter.Window, counter.At), cancellationToken).ConfigureAwait(false);
        }

        var keys = BudgetKeys.Rolling(counter.Window, counter.At);
        var command = _dataSource.CreateCommand(RollingReadSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Oldest });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Current });
            return (decimal)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    private async ValueTask<BudgetStoreResult> TryAddRollingAsync(string budgetKey, BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken)
    {
        var keys = BudgetKeys.Rolling(counter.Window, counter.At);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // One round trip: the lock, then (in a fresh READ COMMITTED snapshot that sees every earlier holder's
                // commit) the conditional add, then the trim of buckets that slid out.
                var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand(LockSql)
                        {
                            Parameters = { new NpgsqlParameter<int> { TypedValue = LockClass }, new NpgsqlParameter<string> { TypedValue = budgetKey } },
                        },
                        new NpgsqlBatchCommand(RollingReserveSql)
                        {
                            Parameters =
                            {
                                new NpgsqlParameter<string> { TypedValue = budgetKey },
                                new NpgsqlParameter<string> { TypedValue = keys.Oldest },
                                new NpgsqlParameter<string> { TypedValue = keys.Current },
                                new NpgsqlParameter<decimal> { TypedValue = amount },
                                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Numeric, Value = limit is { } l ? l : DBNull.Value },
                                Now(),
                            },
                        },
                        new NpgsqlBatchCommand(RollingTrimSql)
                        {
                            Parameters =
                            {
                                new NpgsqlParameter<string> { TypedValue = budgetKey },
                                new NpgsqlParameter<string> { TypedValue = keys.Prefix },
                                new NpgsqlParameter<string> { TypedValue = keys.Oldest },
                            },
                        },
                    },
                };
                BudgetStoreResult result = default;
                await using (batch.ConfigureAwait(false))
                {
                    var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false); // past the lock's row
                        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                        var before = reader.GetDecimal(0);
                        var admitted = reader.GetBoolean(1);
                        result = new BudgetStoreResult(admitted, admitted ? before + amount : before);
                        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
                        {
                        }
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

    /// <summary>
    /// The moment the oldest buckets of a rolling window have slid out far enough for <paramref name="amount"/> to fit:
    /// a bucket leaves the window 61 bucket widths after its start.
    /// </summary>
    /// <inheritdoc />
    /// <remarks>One read of the window's buckets (on denials only); a bucket leaves the window 61 bucket widths after its start.</remarks>
    public async ValueTask<DateTimeOffset?> GetRetryAtAsync(BudgetCounter counter, decimal amount, decimal limit, CancellationToken cancellationToken = default)
    {
        if (counter.Window.Kind != BudgetWindowKind.Rolling || amount > limit)
        {
            return null;
        }

        var budgetKey = BudgetKeys.BudgetKey(counter);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var keys = BudgetKeys.Rolling(counter.Window, counter.At);
        var command = _dataSource.CreateCommand(RollingBucketsSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Oldest });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys.Current });
            var buckets = new List<(string Key, decimal Used)>(BudgetKeys.RollingBuckets + 1);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    buckets.Add((reader.GetString(0), reader.GetDecimal(1)));
                }
            }

            var window = counter.Window;
            var remaining = 0m;
            foreach (var bucket in buckets)
            {
                remaining = Math.Min(decimal.MaxValue - bucket.Used, remaining) + bucket.Used; // saturating sum
            }

            // Oldest first: the first bucket whose departure leaves room enough.
            foreach (var bucket in buckets)
            {
                remaining = Math.Max(0m, remaining - bucket.Used);
                if (remaining < limit && amount <= limit - remaining)
                {
                    return BudgetKeys.LeavesWindowAt(window, bucket.Key, keys.Prefix);
                }
            }

            return BudgetKeys.LeavesWindowAt(window, keys.Current, keys.Prefix);
        }
    }

    private async ValueTask<decimal> AdjustFixedAsync(string budgetKey, string windowKey, decimal delta, CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand(FixedAdjustSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = windowKey });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = delta });
            command.Parameters.Add(Now());
            return (decimal)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    private async ValueTask<decimal> ReadFixedAsync(string budgetKey, string windowKey, CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand(FixedReadSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = windowKey });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is decimal used ? used : 0m;
        }
    }

    private NpgsqlParameter<DateTimeOffset> Now() => new() { TypedValue = _timeProvider.GetUtcNow().ToUniversalTime() };
}
