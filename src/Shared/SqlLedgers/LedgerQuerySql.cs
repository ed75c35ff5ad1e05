using System.Data.Common;
using System.Globalization;

namespace TokenAccounting;

/// <summary>
/// The statements of the SQL ledgers' queries, one builder for both engines (what differs is a
/// <see cref="LedgerSqlDialect"/>): a <see cref="UsageQuery"/>'s totals (its range, filters, groups, order and top-N,
/// from the rollups or the details), and the read of detail records.
/// </summary>
/// <remarks>
/// The totals select the grouped keys, then the nine token sums, the request and unpriced counts, the cost sums and the
/// rule check (<see cref="LedgerQueryRows.Read"/> reads them in that order). Rollup keys are NOT NULL with <c>''</c>
/// for none; a detail's missing key is NULL, so details compare and group by <c>COALESCE(key, '')</c>.
/// </remarks>
internal static class LedgerQuerySql
{
    /// <summary>Sets the command's text and parameters to the totals of <paramref name="query"/>.</summary>
    /// <param name="command">A new command.</param>
    /// <param name="query">The query.</param>
    /// <param name="fromRollups">Whether the rollups answer (a day-aligned range) or the details.</param>
    /// <param name="dialect">The engine's dialect.</param>
    public static void PrepareTotals(DbCommand command, UsageQuery query, bool fromRollups, LedgerSqlDialect dialect)
    {
        var keys = query.GroupBy.Select(dimension => Key(dimension, fromRollups, dialect)).ToList();

        var where = new List<string>();
        if (fromRollups)
        {
            var from = dialect.Bind(command, "from", DateOnly.FromDateTime(query.From.UtcDateTime));
            var to = dialect.Bind(command, "to", DateOnly.FromDateTime(query.To.UtcDateTime));
            where.Add($"date >= {from} AND date < {to}");
        }
        else
        {
            var from = dialect.Bind(command, "from", query.From);
            var to = dialect.Bind(command, "to", query.To);
            where.Add($"completed_at >= {from} AND completed_at < {to}");
        }

        void Filter(string column, string? value)
        {
            if (value is not null)
            {
                var name = dialect.Bind(command, "f" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture), value);
                where.Add(fromRollups ? $"{column} = {name}" : $"COALESCE({column}, '') = {name}");
            }
        }

        Filter("model", query.Model);
        Filter("provider", query.Provider);
        Filter("operation", query.Operation is { } operation ? LedgerRows.Operation(operation) : null);
        Filter("user_id", query.UserId);
        Filter("tenant_id", query.TenantId);
        Filter("api_key_id", query.ApiKeyId);

        var (requests, unpriced) = fromRollups
            ? (dialect.CountSum("request_count"), dialect.CountSum("unpriced_request_count"))
            : (dialect.Count("COUNT(*)"), dialect.Count(dialect.CountWhere("cost_total IS NULL")));
        var sums = $"{string.Join(", ", LedgerQueryRows.TokenColumns.Select(dialect.CountSum))}, {requests}, {unpriced}, "
            + $"{dialect.CostSums(LedgerQueryRows.CostColumns)}, {dialect.RuleCheck(fromRollups)}";
        var select = keys.Count == 0 ? sums : string.Join(", ", keys) + ", " + sums;
        var sql = $"SELECT {select} FROM {Table(fromRollups)} WHERE {string.Join(" AND ", where)}";
        if (keys.Count > 0)
        {
            sql += " GROUP BY " + string.Join(", ", keys);
            if (query.Top is { } top && dialect.OrdersTop)
            {
                sql += $" ORDER BY {Metric(query.OrderBy, fromRollups)}{string.Join(", ", query.GroupBy.Select((d, i) => d == UsageDimension.Date ? keys[i] : dialect.Ordinal(keys[i])))}"
                    + $" LIMIT {top.ToString(CultureInfo.InvariantCulture)}";
            }
        }

        command.CommandText = sql;
    }

    /// <summary>Sets the command's text and parameters to the read of the detail records in <c>[from, to)</c>, oldest first, ties in id order.</summary>
    public static void PrepareRead(DbCommand command, DateTimeOffset from, DateTimeOffset to, LedgerSqlDialect dialect)
    {
        var start = dialect.Bind(command, "from", from.ToUniversalTime());
        var end = dialect.Bind(command, "to", to.ToUniversalTime());
        command.CommandText =
            $"SELECT {string.Join(", ", LedgerDetailRows.Columns)} FROM usage_records WHERE completed_at >= {start} AND completed_at < {end} "
            + $"ORDER BY completed_at, {dialect.Ordinal("id")}";
    }

    /// <summary>The table that answers: <c>usage_rollups</c> or <c>usage_records</c>.</summary>
    public static string Table(bool fromRollups) => fromRollups ? "usage_rollups" : "usage_records";

    /// <summary>
    /// A stored row breaks the rules when a count or cost is negative, a part exceeds its container, the row's own total
    /// overflows, or a key is longer than the input limits. Each ledger's rule check evaluates this per row; the reader
    /// names the first offender.
    /// </summary>
    /// <remarks>
    /// One CASE whose branches run in order (both engines guarantee it), so each difference is taken only once the
    /// checks before it hold and cannot overflow. A rollup row is a sum and may have saturated: a part is not held to a
    /// container that sits at <see cref="long.MaxValue"/> (the reader caps it there, as the core's sums do).
    /// </remarks>
    public static string BadRowCondition(bool fromRollups, LedgerSqlDialect dialect)
    {
        var negative = string.Join(" OR ", LedgerQueryRows.TokenColumns.Select(c => c + " < 0"));
        negative += fromRollups ? " OR request_count < 0 OR unpriced_request_count < 0" : string.Empty;
        negative += " OR " + string.Join(" OR ", LedgerQueryRows.CostColumns.Select(dialect.NegativeMoney));

        string Unless(string container) => fromRollups ? $"{container} < {LedgerArithmetic.MaxCountSql} AND " : string.Empty;
        string[] contained =
        [
            $"{Unless("input_tokens")}cached_input_tokens > input_tokens - cache_write_input_tokens",
            $"{Unless("cache_write_input_tokens")}cache_write_long_ttl_input_tokens > cache_write_input_tokens",
            $"{Unless("output_tokens")}reasoning_tokens > output_tokens",
            $"{Unless("input_audio_tokens")}cached_input_audio_tokens > input_audio_tokens",
            $"{Unless("cached_input_tokens")}cached_input_audio_tokens > cached_input_tokens",
            // Uncached audio is part of the uncached input; both differences are ≥ 0 once the checks above hold.
            $"{Unless("input_tokens")}input_audio_tokens - cached_input_audio_tokens > input_tokens - cached_input_tokens - cache_write_input_tokens",
            $"{Unless("output_tokens")}output_audio_tokens > output_tokens - reasoning_tokens",
        ];
        var keys =
            $"length(model) > {UsageRecordLimits.MaxModelLength} OR length(provider) > {UsageRecordLimits.MaxProviderLength} "
            + $"OR length(operation) > {UsageRecordLimits.MaxOperationLength} OR length(user_id) > {UsageRecordLimits.MaxIdLength} "
            + $"OR length(tenant_id) > {UsageRecordLimits.MaxIdLength} OR length(api_key_id) > {UsageRecordLimits.MaxIdLength}";

        // A detail row is one record, so its own total must fit; a rollup row is a sum and may have saturated.
        var last = fromRollups
            ? "unpriced_request_count > request_count"
            : $"output_tokens > {LedgerArithmetic.MaxCountSql} - input_tokens";
        return $"(CASE WHEN {negative} THEN 1 {string.Concat(contained.Select(c => $"WHEN {c} THEN 1 "))}WHEN {keys} THEN 1 WHEN {last} THEN 1 ELSE 0 END) = 1";
    }

    private static string Key(UsageDimension dimension, bool fromRollups, LedgerSqlDialect dialect) => dimension switch
    {
        UsageDimension.Date => fromRollups ? "date" : dialect.DetailDate,
        UsageDimension.Model => "model",
        UsageDimension.Provider => fromRollups ? "provider" : "COALESCE(provider, '')",
        UsageDimension.Operation => "operation",
        UsageDimension.User => fromRollups ? "user_id" : "COALESCE(user_id, '')",
        UsageDimension.Tenant => fromRollups ? "tenant_id" : "COALESCE(tenant_id, '')",
        _ => fromRollups ? "api_key_id" : "COALESCE(api_key_id, '')",
    };

    /// <summary>The top-N's order before the ties: largest first, on the uncapped aggregates.</summary>
    private static string Metric(UsageQueryOrder order, bool fromRollups) => order switch
    {
        UsageQueryOrder.TotalTokens => "SUM(input_tokens) + SUM(output_tokens) DESC, ",
        // Every part of UsageCost.Total (the long-TTL part is inside cost_cache_write already).
        UsageQueryOrder.Cost => string.Join(" + ", LedgerQueryRows.CostColumns.Where(c => c != "cost_cache_write_long_ttl").Select(c => $"COALESCE(SUM({c}), 0)")) + " DESC, ",
        UsageQueryOrder.RequestCount => (fromRollups ? "SUM(request_count)" : "COUNT(*)") + " DESC, ",
        _ => string.Empty,
    };
}
