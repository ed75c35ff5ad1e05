using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <content>Usage queries.</content>
public sealed partial class SqliteUsageLedger
{
    /// <inheritdoc />
    /// <remarks>
    /// Day-aligned ranges are answered from the rollups (exact, kept forever), others from the details (subject to
    /// retention and to details dropped under pressure). Runs on its own connection, beside the writer.
    /// <para>
    /// Each query first runs in a fast form: plain <c>SUM</c>s, and per row one cheap test of the rules (every count
    /// and difference of a part from its container not negative, keys within the limits, no negative cost). Only when
    /// that form cannot answer exactly — a sum overflows (SQLite fails it), a saturated rollup row, or a row that may
    /// break the rules — does the query run again in its exact form: saturating sums and the per-row check that names
    /// the offending row.
    /// </para>
    /// </remarks>
    public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var fromRollups = query.IsDayAligned;
        using var connection = OpenConnection();
        var rows = Run(connection, query, fromRollups, fast: true, cancellationToken)
            ?? Run(connection, query, fromRollups, fast: false, cancellationToken)!;
        return UsageQueryResult.Create(query, rows, fromRollups ? UsageQuerySource.Rollups : UsageQuerySource.Details);
    }

    /// <summary>Runs the query; in its fast form, null when that form cannot answer exactly.</summary>
    private static List<UsageQueryRow>? Run(SqliteConnection connection, UsageQuery query, bool fromRollups, bool fast, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        PrepareQuery(command, query, fromRollups, fast);

        var rows = new List<UsageQueryRow>();
        var check = query.GroupBy.Count + LedgerQueryRows.TokenColumns.Length + 3;
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (fast && (!reader.IsDBNull(check) || (!reader.IsDBNull(check - 1) && reader.GetString(check - 1).EndsWith(NegativeMark, StringComparison.Ordinal))))
                {
                    return null;
                }

                rows.Add(ReadRow(reader, query, fromRollups));
            }
        }
        catch (SqliteException ex) when (fast && ex.SqliteErrorCode == 1 && ex.Message.Contains("integer overflow", StringComparison.Ordinal))
        {
            return null;
        }

        return rows;
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

    /// <summary>Sets the command's text and parameters for the query (a seam for the tests that snapshot the SQL).</summary>
    internal static void PrepareQuery(SqliteCommand command, UsageQuery query, bool fromRollups, bool fast)
    {
        command.CommandText = BuildQuery(query, fromRollups, fast, out var parameters);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
    }

    private static string BuildQuery(UsageQuery query, bool fromRollups, bool fast, out List<(string Name, object Value)> parameters)
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

        Func<string, string> sum = fast ? static c => $"SUM({c})" : SaturatingSum;
        var counts = string.Join(", ", LedgerQueryRows.TokenColumns.Select(sum));
        var sums = fromRollups
            ? $"{counts}, {sum("request_count")}, {sum("unpriced_request_count")}, "
            : $"{counts}, COUNT(*), SUM(CASE WHEN cost_total IS NULL THEN 1 ELSE 0 END), ";

        // Every cost part in one aggregate call per row (see SqliteText.RegisterFunctions).
        sums += $"ta_decimal_sums({string.Join(", ", LedgerQueryRows.CostColumns)})";
        if (fast)
        {
            sums += $", {FastCheck(fromRollups)}";
        }
        else
        {
            var label = fromRollups ? "date || '|' || model || '|' || provider || '|' || operation || '|' || user_id || '|' || tenant_id || '|' || api_key_id" : "id";
            sums += $", MIN(CASE WHEN {LedgerQueryRows.BadRowCondition(fromRollups, "CAST({0} AS REAL) < 0")} THEN {label} END)";
        }

        var select = keys.Count == 0 ? sums : string.Join(", ", keys) + ", " + sums;
        var sql = $"SELECT {select} FROM {(fromRollups ? "usage_rollups" : "usage_records")} WHERE {string.Join(" AND ", where)}";
        return keys.Count == 0 ? sql : sql + " GROUP BY " + string.Join(", ", keys);
    }

    /// <summary>What <c>ta_decimal_sums</c> appends when it summed a negative part.</summary>
    private const string NegativeMark = " -";

    /// <summary>
    /// The fast form's test of the rules, one expression per row: the smallest of every count and of every part's room in
    /// its container (cached and cache-write input in input, long-TTL in cache-write, reasoning and audio output in
    /// output, cached audio in audio input and in cached input, uncached audio in uncached input; requests and unpriced;
    /// a detail's room for its total), and the largest excess of a key's length over its limit. Valid rows of exact sums
    /// give no negative and no excess; anything else (a saturated rollup row included) sends the query to its exact
    /// form. Not NULL when that is needed.
    /// </summary>
    private static string FastCheck(bool fromRollups)
    {
        List<string> room =
        [
            .. LedgerQueryRows.TokenColumns,
            "input_tokens - cached_input_tokens - cache_write_input_tokens",
            "cache_write_input_tokens - cache_write_long_ttl_input_tokens",
            "output_tokens - reasoning_tokens - output_audio_tokens",
            "input_audio_tokens - cached_input_audio_tokens",
            "cached_input_tokens - cached_input_audio_tokens",
            "(input_tokens - cached_input_tokens - cache_write_input_tokens) - (input_audio_tokens - cached_input_audio_tokens)",
        ];
        room.AddRange(fromRollups
            ? ["request_count", "unpriced_request_count", "request_count - unpriced_request_count"]
            : [$"{LedgerArithmetic.MaxCountSql} - input_tokens - output_tokens"]);
        // A detail's missing key is NULL, and max() over a NULL is NULL; rollup keys are never NULL.
        string Length(string column) => fromRollups ? $"length({column})" : $"length(COALESCE({column}, ''))";
        var excess =
            $"length(model) - {UsageRecordLimits.MaxModelLength}, {Length("provider")} - {UsageRecordLimits.MaxProviderLength}, "
            + $"length(operation) - {UsageRecordLimits.MaxOperationLength}, {Length("user_id")} - {UsageRecordLimits.MaxIdLength}, "
            + $"{Length("tenant_id")} - {UsageRecordLimits.MaxIdLength}, {Length("api_key_id")} - {UsageRecordLimits.MaxIdLength}";
        return $"CASE WHEN MIN(min({string.Join(", ", room)})) < 0 OR MAX(max({excess})) > 0 THEN 1 END";
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
