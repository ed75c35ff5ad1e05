using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <content>Usage queries.</content>
public sealed partial class SqliteUsageLedger
{
    /// <inheritdoc />
    /// <remarks>
    /// Day-aligned ranges are answered from the rollups (exact, kept forever), others from the details (subject to
    /// retention and to details dropped under pressure). Runs on its own connection, beside the writer.
    /// </remarks>
    public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var fromRollups = query.IsDayAligned;
        var sql = BuildQuery(query, fromRollups, out var parameters);
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<UsageQueryRow>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                rows.Add(ReadRow(reader, query));
            }
        }

        return UsageQueryResult.Create(query, rows, fromRollups ? UsageQuerySource.Rollups : UsageQuerySource.Details);
    }

    private async ValueTask EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _commands) is not null)
        {
            return;
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureWriter();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static string BuildQuery(UsageQuery query, bool fromRollups, out List<(string Name, object Value)> parameters)
    {
        var bound = new List<(string Name, object Value)>();
        parameters = bound;
        var keys = new List<string>();
        foreach (var dimension in query.GroupBy)
        {
            keys.Add(dimension switch
            {
                UsageDimension.Date => fromRollups ? "date" : "substr(completed_at, 1, 10)",
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
            where.Add("date >= $from AND date < $to");
            parameters.Add(("$from", SqliteText.Date(DateOnly.FromDateTime(query.From.UtcDateTime))));
            parameters.Add(("$to", SqliteText.Date(DateOnly.FromDateTime(query.To.UtcDateTime))));
        }
        else
        {
            where.Add("completed_at >= $from AND completed_at < $to");
            parameters.Add(("$from", SqliteText.Timestamp(query.From)));
            parameters.Add(("$to", SqliteText.Timestamp(query.To)));
        }

        void Filter(string column, string? value)
        {
            if (value is not null)
            {
                var name = "$f" + bound.Count;
                where.Add(fromRollups ? $"{column} = {name}" : $"COALESCE({column}, '') = {name}");
                bound.Add((name, value));
            }
        }

        Filter("model", query.Model);
        Filter("provider", query.Provider);
        Filter("operation", query.Operation is { } operation ? LedgerRows.Operation(operation) : null);
        Filter("user_id", query.UserId);
        Filter("tenant_id", query.TenantId);
        Filter("api_key_id", query.ApiKeyId);

        var sums = fromRollups
            ? "SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_input_tokens), SUM(cache_write_long_ttl_input_tokens), SUM(reasoning_tokens), "
              + "SUM(request_count), SUM(unpriced_request_count), "
              + "ta_decimal_sum(cost_input), ta_decimal_sum(cost_cached_input), ta_decimal_sum(cost_cache_write), ta_decimal_sum(cost_output), ta_decimal_sum(cost_reasoning), ta_decimal_sum(cost_cache_write_long_ttl)"
            : "SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_input_tokens), SUM(cache_write_long_ttl_input_tokens), SUM(reasoning_tokens), "
              + "COUNT(*), SUM(CASE WHEN cost_total IS NULL THEN 1 ELSE 0 END), "
              + "ta_decimal_sum(cost_input), ta_decimal_sum(cost_cached_input), ta_decimal_sum(cost_cache_write), ta_decimal_sum(cost_output), ta_decimal_sum(cost_reasoning), ta_decimal_sum(cost_cache_write_long_ttl)";
        var select = keys.Count == 0 ? sums : string.Join(", ", keys) + ", " + sums;
        var sql = $"SELECT {select} FROM {(fromRollups ? "usage_rollups" : "usage_records")} WHERE {string.Join(" AND ", where)}";
        return keys.Count == 0 ? sql : sql + " GROUP BY " + string.Join(", ", keys);
    }

    private static UsageQueryRow ReadRow(SqliteDataReader reader, UsageQuery query) =>
        LedgerQueryRows.Read(reader, query, static (r, o) => SqliteText.ParseDate(r.GetString(o)), static (r, o) => SqliteText.ParseDecimal(r.GetString(o)));
}
