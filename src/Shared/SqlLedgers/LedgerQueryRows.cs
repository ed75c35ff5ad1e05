using System.Data.Common;

namespace TokenAccounting;

/// <summary>
/// Reads one row of a totals query (the grouped dimensions, then the six token sums, request and unpriced counts, the
/// five cost sums, the long-TTL part of the cache-write cost, and the first stored row in the group that breaks the
/// ledger's rules, if any) — shared by the SQLite and PostgreSQL ledgers, which differ only in how dates and decimals
/// come back from their drivers. The sums are saturated by the SQL (never wrapped); a stored row that breaks the rules
/// <c>Record()</c> applies is reported by its id (details) or key (rollups) instead of being summed.
/// </summary>
internal static class LedgerQueryRows
{
    private static readonly string[] CostColumns =
        ["cost_input", "cost_cached_input", "cost_cache_write", "cost_output", "cost_reasoning", "cost_cache_write_long_ttl"];

    /// <summary>
    /// A stored row breaks the rules when a count or cost is negative, a part exceeds its container, the row's own total
    /// overflows, or a key is longer than the input limits. The SQL of each ledger evaluates this per row; the reader
    /// names the first offender.
    /// </summary>
    public static string BadRowCondition(bool fromRollups, string negativeMoney)
    {
        var negative =
            "input_tokens < 0 OR output_tokens < 0 OR cached_input_tokens < 0 OR cache_write_input_tokens < 0 "
            + "OR cache_write_long_ttl_input_tokens < 0 OR reasoning_tokens < 0";
        negative += fromRollups ? " OR request_count < 0 OR unpriced_request_count < 0" : string.Empty;
        negative += " OR " + string.Join(" OR ", CostColumns.Select(c => string.Format(System.Globalization.CultureInfo.InvariantCulture, negativeMoney, c)));

        // Evaluated only once no count is negative (CASE keeps the order), so the differences below cannot overflow.
        var broken =
            "cached_input_tokens > input_tokens - cache_write_input_tokens OR cache_write_long_ttl_input_tokens > cache_write_input_tokens "
            + "OR reasoning_tokens > output_tokens "
            + $"OR length(model) > {UsageRecordLimits.MaxModelLength} OR length(provider) > {UsageRecordLimits.MaxProviderLength} "
            + $"OR length(operation) > {UsageRecordLimits.MaxOperationLength} OR length(user_id) > {UsageRecordLimits.MaxIdLength} "
            + $"OR length(tenant_id) > {UsageRecordLimits.MaxIdLength} OR length(api_key_id) > {UsageRecordLimits.MaxIdLength}";

        // A detail row is one record, so its own total must fit; a rollup row is a sum and may have saturated.
        broken += fromRollups
            ? " OR unpriced_request_count > request_count"
            : $" OR output_tokens > {LedgerArithmetic.MaxCountSql} - input_tokens";
        return $"(CASE WHEN {negative} THEN 1 WHEN {broken} THEN 1 ELSE 0 END) = 1";
    }

    public static UsageQueryRow Read(
        DbDataReader reader,
        UsageQuery query,
        string table,
        Func<DbDataReader, int, DateOnly> readDate,
        Func<DbDataReader, int, decimal> readMoney)
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
        decimal Money(int ordinal) => reader.IsDBNull(ordinal) ? 0m : readMoney(reader, ordinal);

        var badRow = i + 14;
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
        var requests = Long(i + 6);
        var unpriced = Long(i + 7);
        try
        {
            tokens = LedgerArithmetic.Counts(Long(i), Long(i + 1), Long(i + 2), Long(i + 3), Long(i + 4), Long(i + 5));
            cost = requests > unpriced
                ? new UsageCost(Money(i + 8), Money(i + 9), Money(i + 10), Money(i + 11), Money(i + 12), Money(i + 13))
                : null;
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
