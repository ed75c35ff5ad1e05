using System.Data.Common;

namespace TokenAccounting;

/// <summary>Reads the summed cost parts of a totals row into <paramref name="parts"/> (<see cref="LedgerQueryRows.CostColumns"/> order); a NULL part is zero.</summary>
internal delegate void LedgerCostReader(DbDataReader reader, int ordinal, Span<decimal> parts);

/// <summary>
/// Reads one row of a totals query (the grouped dimensions, then the nine token sums, request and unpriced counts, the
/// eleven cost sums, and the first stored row in the group that breaks the ledger's rules, if any) — shared by the
/// SQLite and PostgreSQL ledgers, which differ in how dates and decimals come back from their drivers (SQLite returns
/// the cost sums as one field). The sums are saturated by the SQL (never wrapped); a stored row that breaks the rules
/// <c>Record()</c> applies is reported by its id (details) or key (rollups) instead of being summed.
/// </summary>
internal static class LedgerQueryRows
{
    /// <summary>The token count columns of both tables, in <see cref="LedgerArithmetic.Counts"/> order.</summary>
    public static readonly string[] TokenColumns =
    [
        "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens", "cache_write_long_ttl_input_tokens", "reasoning_tokens",
        "input_audio_tokens", "cached_input_audio_tokens", "output_audio_tokens",
    ];

    /// <summary>The cost part columns of both tables, in the order of <see cref="UsageCost"/>'s full constructor.</summary>
    public static readonly string[] CostColumns =
    [
        "cost_input", "cost_cached_input", "cost_cache_write", "cost_output", "cost_reasoning", "cost_cache_write_long_ttl",
        "cost_input_audio", "cost_cached_input_audio", "cost_output_audio", "cost_requests", "cost_server_tool_calls",
    ];

    /// <summary>
    /// A stored row breaks the rules when a count or cost is negative, a part exceeds its container, the row's own total
    /// overflows, or a key is longer than the input limits. The SQL of each ledger evaluates this per row; the reader
    /// names the first offender.
    /// </summary>
    /// <remarks>
    /// One CASE whose branches run in order (both engines guarantee it), so each difference is taken only once the
    /// checks before it hold and cannot overflow. A rollup row is a sum and may have saturated: a part is not held to a
    /// container that sits at <see cref="long.MaxValue"/> (the reader caps it there, as the core's sums do).
    /// </remarks>
    public static string BadRowCondition(bool fromRollups, string negativeMoney)
    {
        var negative = string.Join(" OR ", TokenColumns.Select(c => c + " < 0"));
        negative += fromRollups ? " OR request_count < 0 OR unpriced_request_count < 0" : string.Empty;
        negative += " OR " + string.Join(" OR ", CostColumns.Select(c => string.Format(System.Globalization.CultureInfo.InvariantCulture, negativeMoney, c)));

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

    public static UsageQueryRow Read(
        DbDataReader reader,
        UsageQuery query,
        string table,
        Func<DbDataReader, int, DateOnly> readDate,
        LedgerCostReader readCosts,
        int costFields)
    {
        DateOnly? date = null;
        string? model = null, provider = null, user = null, tenant = null, apiKey = null;
        UsageOperation? operation = null;
        var i = 0;
        foreach (var dimension in query.GroupBy)
        {
            if (dimension == UsageDimension.Date)
            {
                date = readDate(reader, i++);
                continue;
            }

            var text = reader.GetString(i++);
            switch (dimension)
            {
                case UsageDimension.Model:
                    model = text;
                    break;
                case UsageDimension.Provider:
                    provider = LedgerRows.FromKey(text);
                    break;
                case UsageDimension.Operation:
                    operation = new UsageOperation(text);
                    break;
                case UsageDimension.User:
                    user = LedgerRows.FromKey(text);
                    break;
                case UsageDimension.Tenant:
                    tenant = LedgerRows.FromKey(text);
                    break;
                default:
                    apiKey = LedgerRows.FromKey(text);
                    break;
            }
        }

        long Long(int ordinal) => reader.IsDBNull(ordinal) ? 0 : reader.GetInt64(ordinal);

        var tokensAt = i;
        var requestsAt = i + TokenColumns.Length;
        var costsAt = requestsAt + 2;
        var badRow = costsAt + costFields;
        if (!reader.IsDBNull(badRow))
        {
            var what = table == "usage_rollups" ? "the rollup row with key" : "the detail row with id";
            throw new InvalidDataException(
                $"The ledger's {table} table holds a row that breaks the rules Record() applies (a negative count or cost, a part "
                + $"larger than its total, a total that overflows, or a key over UsageRecordLimits): {what} {reader.GetString(badRow)}. "
                + "It was not written by TokenAccounting; fix or delete that row.");
        }

        TokenCounts tokens;
        UsageCost? cost;
        var requests = Long(requestsAt);
        var unpriced = Long(requestsAt + 1);
        try
        {
            tokens = LedgerArithmetic.Counts(
                Long(tokensAt), Long(tokensAt + 1), Long(tokensAt + 2), Long(tokensAt + 3), Long(tokensAt + 4), Long(tokensAt + 5),
                Long(tokensAt + 6), Long(tokensAt + 7), Long(tokensAt + 8));
            cost = null;
            if (requests > unpriced)
            {
                Span<decimal> p = stackalloc decimal[11];
                readCosts(reader, costsAt, p);
                cost = new UsageCost(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]);
            }
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The ledger's {table} table sums to counts or costs that break the rules Record() applies: {ex.Message}", ex);
        }

        return new UsageQueryRow
        {
            Date = date,
            Model = model,
            Provider = provider,
            Operation = operation,
            UserId = user,
            TenantId = tenant,
            ApiKeyId = apiKey,
            Tokens = tokens,
            RequestCount = requests,
            UnpricedRequestCount = unpriced,
            Cost = cost,
        };
    }
}
