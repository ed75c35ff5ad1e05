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
                rows.Add(ReadRow(reader, query, fromRollups));
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

        var counts = string.Join(", ", LedgerQueryRows.TokenColumns.Select(SaturatingSum));
        var sums = fromRollups
            ? $"{counts}, {SaturatingSum("request_count")}, {SaturatingSum("unpriced_request_count")}, "
            : $"{counts}, COUNT(*), SUM(CASE WHEN cost_total IS NULL THEN 1 ELSE 0 END), ";

        // Every cost part in one aggregate call per row (see SqliteText.RegisterFunctions).
        sums += $"ta_decimal_sums({string.Join(", ", LedgerQueryRows.CostColumns)})";
        var label = fromRollups ? "date || '|' || model || '|' || provider || '|' || operation || '|' || user_id || '|' || tenant_id || '|' || api_key_id" : "id";
        sums += $", MIN(CASE WHEN {LedgerQueryRows.BadRowCondition(fromRollups, "CAST({0} AS REAL) < 0")} THEN {label} END)";
        var select = keys.Count == 0 ? sums : string.Join(", ", keys) + ", " + sums;
        var sql = $"SELECT {select} FROM {(fromRollups ? "usage_rollups" : "usage_records")} WHERE {string.Join(" AND ", where)}";
        return keys.Count == 0 ? sql : sql + " GROUP BY " + string.Join(", ", keys);
    }

    /// <summary>
    /// SQLite's SUM() of integers fails the whole query with "integer overflow". Summing the high and the low 32 bits
    /// apart cannot overflow (below 2^31 rows); the carry of the low sum moves into the high one, and a high part of
    /// 2^31 or more is a sum of 2^63 or more, which saturates at long.MaxValue. Exact below that; NULL over no rows.
    /// </summary>
    internal static string SaturatingSum(string column)
    {
        var low = $"SUM({column} & 4294967295)";
        var high = $"(SUM({column} >> 32) + ({low} >> 32))";
        return $"CASE WHEN {high} >= 2147483648 THEN {LedgerArithmetic.MaxCountSql} WHEN {high} < -2147483648 THEN -{LedgerArithmetic.MaxCountSql} - 1 "
            + $"ELSE {high} * 4294967296 + ({low} & 4294967295) END";
    }

    private static UsageQueryRow ReadRow(SqliteDataReader reader, UsageQuery query, bool fromRollups) =>
        LedgerQueryRows.Read(
            reader,
            query,
            fromRollups ? "usage_rollups" : "usage_records",
            static (r, o) => SqliteText.ParseDate(r.GetString(o)),
            static (r, o, parts) =>
            {
                if (!r.IsDBNull(o))
                {
                    SqliteText.ParseSums(r.GetString(o), parts);
                }
            },
            costFields: 1);
}
