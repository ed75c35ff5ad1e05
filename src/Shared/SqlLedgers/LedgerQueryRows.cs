using System.Data.Common;

namespace TokenAccounting;

/// <summary>
/// Reads one row of a totals query (the grouped dimensions, then the nine token sums, request and unpriced counts, the
/// eleven cost sums, and the first stored row in the group that breaks the ledger's rules, if any) — shared by the
/// SQLite and PostgreSQL ledgers, which differ in how dates and decimals come back from their drivers (SQLite returns
/// the cost sums as one field; see <see cref="LedgerSqlDialect"/>). The sums are saturated by the SQL (never wrapped);
/// a stored row that breaks the rules <c>Record()</c> applies is reported by its id (details) or key (rollups) instead
/// of being summed.
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

    /// <summary>The ordinal of the rule check, the last column of a totals row.</summary>
    public static int RuleCheckOrdinal(UsageQuery query, LedgerSqlDialect dialect) => query.GroupBy.Count + TokenColumns.Length + 2 + dialect.CostFields;

    /// <summary>
    /// Reads the current totals row of <paramref name="query"/> (from <see cref="LedgerQuerySql.PrepareTotals"/>). A
    /// stored row the rule check names, or sums that break the rules, are an <see cref="InvalidDataException"/>.
    /// </summary>
    public static UsageQueryRow Read(DbDataReader reader, UsageQuery query, bool fromRollups, LedgerSqlDialect dialect)
    {
        var table = LedgerQuerySql.Table(fromRollups);
        DateOnly? date = null;
        string? model = null, provider = null, user = null, tenant = null, apiKey = null;
        UsageOperation? operation = null;
        var i = 0;
        foreach (var dimension in query.GroupBy)
        {
            if (dimension == UsageDimension.Date)
            {
                date = dialect.ReadDate(reader, i++);
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
        var badRow = costsAt + dialect.CostFields;
        if (!reader.IsDBNull(badRow))
        {
            var what = fromRollups ? "the rollup row with key" : "the detail row with id";
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
                dialect.ReadCostSums(reader, costsAt, p);
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
