using System.Data.Common;

namespace TokenAccounting;

/// <summary>
/// Reads one row of a totals query (the grouped dimensions, then the six token sums, request and unpriced counts, the
/// five cost sums and the long-TTL part of the cache-write cost) — shared by the SQLite and PostgreSQL ledgers, which
/// differ only in how dates and decimals come back from their drivers.
/// </summary>
internal static class LedgerQueryRows
{
    public static UsageQueryRow Read(
        DbDataReader reader,
        UsageQuery query,
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

        var tokens = new TokenCounts(Long(i), Long(i + 1), Long(i + 2), Long(i + 3), Long(i + 4), Long(i + 5));
        var requests = Long(i + 6);
        var unpriced = Long(i + 7);
        var cost = requests > unpriced
            ? new UsageCost(Money(i + 8), Money(i + 9), Money(i + 10), Money(i + 11), Money(i + 12), Money(i + 13))
            : null;
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
