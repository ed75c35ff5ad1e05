using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// Budget usage counters shared by every app instance that points at the same database: one row per
/// (budget, window) in <c>usage_budget_counters</c>. A reservation is one atomic statement,
/// <c>INSERT … ON CONFLICT … DO UPDATE SET used = used + amount WHERE used + amount &lt;= limit RETURNING used</c>,
/// so N instances racing for the last units of a limit admit exactly what fits.
/// </summary>
/// <remarks>
/// Amounts are decimals, so one counter type serves token budgets and cost budgets. The caller names the window
/// (for example <c>"day:2026-01-15"</c> or <c>"month:2026-01"</c>); rolling windows map onto fixed buckets. The flow is
/// reserve before the call, then <see cref="CommitAsync"/> the actual usage or <see cref="ReleaseAsync"/> on failure.
/// </remarks>
internal sealed class PostgreSqlBudgetCounter
{
    private const string ReserveSql =
        "INSERT INTO usage_budget_counters AS c (budget_key, window_key, used, updated_at) SELECT $1, $2, $3, $5 WHERE $3 <= $4 "
        + "ON CONFLICT (budget_key, window_key) DO UPDATE SET used = c.used + EXCLUDED.used, updated_at = EXCLUDED.updated_at "
        + "WHERE c.used + EXCLUDED.used <= $4 RETURNING c.used";

    private const string AdjustSql =
        "INSERT INTO usage_budget_counters AS c (budget_key, window_key, used, updated_at) VALUES ($1, $2, GREATEST($3, 0), $4) "
        + "ON CONFLICT (budget_key, window_key) DO UPDATE SET used = GREATEST(LEAST(c.used + $3, 79228162514264337593543950335), 0), updated_at = EXCLUDED.updated_at RETURNING c.used";

    private const string ReadSql = "SELECT used FROM usage_budget_counters WHERE budget_key = $1 AND window_key = $2";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _timeProvider;
    private readonly SchemaGate _schema;

    /// <summary>Creates a counter over a data source that the caller owns.</summary>
    /// <param name="dataSource">The database shared by the app instances.</param>
    /// <param name="timeProvider">The clock for the rows' <c>updated_at</c>; <see cref="TimeProvider.System"/> when null.</param>
    public PostgreSqlBudgetCounter(NpgsqlDataSource dataSource, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _schema = new SchemaGate(dataSource, _timeProvider);
    }

    /// <summary>Adds <paramref name="amount"/> to the window's usage if, and only if, the result stays within <paramref name="limit"/>.</summary>
    /// <param name="budgetKey">The budget and the dimension value it applies to, for example <c>"tenant-daily-tokens:acme"</c>.</param>
    /// <param name="windowKey">The window, for example <c>"day:2026-01-15"</c>.</param>
    /// <param name="amount">The amount to reserve; zero or more.</param>
    /// <param name="limit">The window's limit; zero or more.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it was admitted, the window's usage and what remains.</returns>
    public async ValueTask<PostgreSqlBudgetReservation> TryReserveAsync(string budgetKey, string windowKey, decimal amount, decimal limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(budgetKey);
        ArgumentException.ThrowIfNullOrEmpty(windowKey);
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(ReserveSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = windowKey });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = amount });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = limit });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _timeProvider.GetUtcNow().ToUniversalTime() });
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is decimal used)
            {
                return new PostgreSqlBudgetReservation(true, used, Math.Max(limit - used, 0m));
            }
        }

        // Denied: report the usage that denied it (read after the fact, for the message only).
        var current = await GetUsedAsync(budgetKey, windowKey, cancellationToken).ConfigureAwait(false);
        return new PostgreSqlBudgetReservation(false, current, Math.Max(limit - current, 0m));
    }

    /// <summary>Replaces a reservation by the actual usage: adds <c>actual − reserved</c> (which may exceed the limit, as the call already happened).</summary>
    /// <param name="budgetKey">The budget key the reservation was made under.</param>
    /// <param name="windowKey">The window the reservation was made in.</param>
    /// <param name="reserved">The amount that was reserved.</param>
    /// <param name="actual">The amount actually used.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The window's usage afterwards.</returns>
    public ValueTask<decimal> CommitAsync(string budgetKey, string windowKey, decimal reserved, decimal actual, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reserved);
        ArgumentOutOfRangeException.ThrowIfNegative(actual);
        return AdjustAsync(budgetKey, windowKey, actual - reserved, cancellationToken);
    }

    /// <summary>Gives a reservation back (the call failed or was not made).</summary>
    /// <param name="budgetKey">The budget key the reservation was made under.</param>
    /// <param name="windowKey">The window the reservation was made in.</param>
    /// <param name="reserved">The amount that was reserved.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The window's usage afterwards.</returns>
    public ValueTask<decimal> ReleaseAsync(string budgetKey, string windowKey, decimal reserved, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reserved);
        return AdjustAsync(budgetKey, windowKey, -reserved, cancellationToken);
    }

    /// <summary>Adds <paramref name="delta"/> (positive or negative) to the window's usage unconditionally, never below zero.</summary>
    /// <param name="budgetKey">The budget key.</param>
    /// <param name="windowKey">The window.</param>
    /// <param name="delta">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The window's usage afterwards.</returns>
    public async ValueTask<decimal> AdjustAsync(string budgetKey, string windowKey, decimal delta, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(budgetKey);
        ArgumentException.ThrowIfNullOrEmpty(windowKey);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(AdjustSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = windowKey });
            command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = delta });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _timeProvider.GetUtcNow().ToUniversalTime() });
            return (decimal)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <summary>Gets the window's usage; zero when nothing was counted in it.</summary>
    /// <param name="budgetKey">The budget key.</param>
    /// <param name="windowKey">The window.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<decimal> GetUsedAsync(string budgetKey, string windowKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(budgetKey);
        ArgumentException.ThrowIfNullOrEmpty(windowKey);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(ReadSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = budgetKey });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = windowKey });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is decimal used ? used : 0m;
        }
    }
}
