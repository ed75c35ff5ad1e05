using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <content>Usage queries.</content>
public sealed partial class PostgreSqlUsageLedger
{
    /// <inheritdoc />
    /// <remarks>
    /// Day-aligned ranges are answered from the rollups (exact, kept forever), others from the details (subject to
    /// retention and to details dropped under pressure). A top-N is cut by the server (ties broken by the grouped
    /// dimensions in <c>"C"</c> collation, which is ordinal).
    /// </remarks>
    public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var fromRollups = query.IsDayAligned;
        var command = _dataSource.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            PrepareQuery(command, query, fromRollups);
            var rows = new List<UsageQueryRow>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(ReadRow(reader, query, fromRollups));
                }
            }

            return UsageQueryResult.Create(query, rows, fromRollups ? UsageQuerySource.Rollups : UsageQuerySource.Details);
        }
    }

    /// <summary>Sets the command's text and parameters for the query (a seam for the tests that snapshot the SQL).</summary>
    internal static void PrepareQuery(NpgsqlCommand command, UsageQuery query, bool fromRollups) =>
        command.CommandText = BuildQuery(query, fromRollups, command.Parameters);

    private static string BuildQuery(UsageQuery query, bool fromRollups, NpgsqlParameterCollection parameters)
    {
        var keys = new List<string>();
        foreach (var dimension in query.GroupBy)
        {
            keys.Add(dimension switch
            {
                UsageDimension.Date => fromRollups ? "date" : "(completed_at AT TIME ZONE 'UTC')::date",
                UsageDimension.Model => "model",
                UsageDimension.Provider => fromRollups ? "provider" : "COALESCE(provider, '')",
                UsageDimension.Operation => "operation",
                UsageDimension.User => fromRollups ? "user_id" : "COALESCE(user_id, '')",
                UsageDimension.Tenant => fromRollups ? "tenant_id" : "COALESCE(tenant_id, '')",
                _ => fromRollups ? "api_key_id" : "COALESCE(api_key_id, '')",
            });
        }

        var where = new List<string>();
        if (fromRollups)
        {
            where.Add("date >= $1 AND date < $2");
            parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = DateOnly.FromDateTime(query.From.UtcDateTime) });
            parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = DateOnly.FromDateTime(query.To.UtcDateTime) });
        }
        else
        {
            where.Add("completed_at >= $1 AND completed_at < $2");
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = query.From });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = query.To });
        }

        void Filter(string column, string? value)
        {
            if (value is not null)
            {
                parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
                where.Add(fromRollups ? $"{column} = ${parameters.Count}" : $"COALESCE({column}, '') = ${parameters.Count}");
            }
        }

        Filter("model", query.Model);
        Filter("provider", query.Provider);
        Filter("operation", query.Operation is { } operation ? LedgerRows.Operation(operation) : null);
        Filter("user_id", query.UserId);
        Filter("tenant_id", query.TenantId);
        Filter("api_key_id", query.ApiKeyId);

        var (requests, unpriced) = fromRollups
            ? ("SUM(request_count)", "SUM(unpriced_request_count)")
            : ("COUNT(*)", "COUNT(*) FILTER (WHERE cost_total IS NULL)");
        // SUM(bigint) is numeric and may exceed a bigint, SUM(numeric) may exceed a decimal: both saturate. (Not LEAST:
        // it ignores NULL, and a sum over no rows must stay NULL.)
        static string Cap(string sum, string max) => $"CASE WHEN {sum} > {max} THEN {max} ELSE {sum} END";
        var sums =
            string.Join(", ", LedgerQueryRows.TokenColumns.Select(c => Cap($"SUM({c})", LedgerArithmetic.MaxCountSql) + "::bigint"))
            + $", {Cap(requests, LedgerArithmetic.MaxCountSql)}::bigint, {Cap(unpriced, LedgerArithmetic.MaxCountSql)}::bigint, "
            + string.Join(", ", LedgerQueryRows.CostColumns.Select(c => Cap($"SUM({c})", LedgerArithmetic.MaxMoneySql)));
        var label = fromRollups
            ? "date::text || '|' || model || '|' || provider || '|' || operation || '|' || user_id || '|' || tenant_id || '|' || api_key_id"
            : "id";
        sums += $", MIN(CASE WHEN {LedgerQueryRows.BadRowCondition(fromRollups, "{0} < 0")} THEN {label} END)";
        var select = keys.Count == 0 ? sums : string.Join(", ", keys) + ", " + sums;
        var sql = $"SELECT {select} FROM {(fromRollups ? "usage_rollups" : "usage_records")} WHERE {string.Join(" AND ", where)}";
        if (keys.Count == 0)
        {
            return sql;
        }

        sql += " GROUP BY " + string.Join(", ", keys);
        if (query.Top is { } top)
        {
            var metric = query.OrderBy switch
            {
                UsageQueryOrder.TotalTokens => "SUM(input_tokens) + SUM(output_tokens) DESC, ",
                // Every part of UsageCost.Total (the long-TTL part is inside cost_cache_write already).
                UsageQueryOrder.Cost => string.Join(" + ", LedgerQueryRows.CostColumns.Where(c => c != "cost_cache_write_long_ttl").Select(c => $"COALESCE(SUM({c}), 0)")) + " DESC, ",
                UsageQueryOrder.RequestCount => requests + " DESC, ",
                _ => string.Empty,
            };
            var tieBreak = string.Join(", ", query.GroupBy.Select((d, i) => d == UsageDimension.Date ? keys[i] : keys[i] + " COLLATE \"C\""));
            sql += $" ORDER BY {metric}{tieBreak} LIMIT {top.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }

        return sql;
    }

    private static UsageQueryRow ReadRow(NpgsqlDataReader reader, UsageQuery query, bool fromRollups) =>
        LedgerQueryRows.Read(
            reader,
            query,
            fromRollups ? "usage_rollups" : "usage_records",
            static (r, o) => r.GetFieldValue<DateOnly>(o),
            static (r, o, parts) =>
            {
                for (var i = 0; i < parts.Length; i++)
                {
                    parts[i] = r.IsDBNull(o + i) ? 0m : r.GetDecimal(o + i);
                }
            },
            costFields: LedgerQueryRows.CostColumns.Length);
}
