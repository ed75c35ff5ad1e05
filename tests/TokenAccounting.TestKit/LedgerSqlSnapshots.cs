using System.Globalization;
using System.Text;

namespace TokenAccounting.TestKit;

/// <summary>
/// Representative queries for the SQL ledgers' snapshot tests, and a readable rendering of the SQL they generate (one
/// clause and one top-level select column per line), so an approved snapshot shows what changed in a query's text.
/// </summary>
public static class LedgerSqlSnapshots
{
    private static readonly DateTimeOffset Day1 = LedgerUsage.Day1;

    /// <summary>Rollups and details, no grouping and every dimension, every filter, every order, with and without a top-N.</summary>
    public static IReadOnlyList<(string Name, UsageQuery Query)> Queries { get; } =
    [
        ("rollups-total", new UsageQuery(Day1, Day1.AddDays(7))),
        ("rollups-by-date-model-filtered-top3-by-cost", new UsageQuery(Day1, Day1.AddDays(2))
        {
            GroupBy = [UsageDimension.Date, UsageDimension.Model],
            Model = "gpt-4o",
            Operation = UsageOperation.Chat,
            OrderBy = UsageQueryOrder.Cost,
            Top = 3,
        }),
        ("rollups-all-dimensions-top1-by-requests", new UsageQuery(Day1, Day1.AddDays(1))
        {
            GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider, UsageDimension.Operation, UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey],
            OrderBy = UsageQueryOrder.RequestCount,
            Top = 1,
        }),
        ("details-total", new UsageQuery(Day1.AddHours(1), Day1.AddHours(5))),
        ("details-by-date-provider-user-filtered-top2-by-tokens", new UsageQuery(Day1.AddHours(1), Day1.AddDays(2).AddMinutes(30))
        {
            GroupBy = [UsageDimension.Date, UsageDimension.Provider, UsageDimension.User],
            Provider = "openai",
            UserId = "u1",
            TenantId = "t1",
            ApiKeyId = "k1",
            OrderBy = UsageQueryOrder.TotalTokens,
            Top = 2,
        }),
        ("details-by-tenant-operation-apikey", new UsageQuery(Day1.AddHours(1), Day1.AddHours(2))
        {
            GroupBy = [UsageDimension.Tenant, UsageDimension.Operation, UsageDimension.ApiKey],
        }),
    ];

    /// <summary>The detail read range the snapshots use.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) ReadRange { get; } = (Day1.AddHours(1), Day1.AddDays(1));

    /// <summary>Renders one statement: a heading, the SQL broken before each clause and after each top-level comma, then each parameter.</summary>
    public static void Append(StringBuilder text, string name, string sql, IEnumerable<(string Name, object? Value)> parameters)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        text.Append("-- ").Append(name).Append('\n');
        var depth = 0;
        var quoted = false;
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            quoted ^= c == '\'';
            depth += quoted ? 0 : c == '(' ? 1 : c == ')' ? -1 : 0;
            if (!quoted && depth == 0 && c == ' ' && StartsClause(sql, i + 1))
            {
                text.Append("\n ");
                continue;
            }

            text.Append(c);
            if (!quoted && depth == 0 && c == ',' && i + 1 < sql.Length && sql[i + 1] == ' ')
            {
                text.Append("\n   ");
                i++;
            }
        }

        text.Append('\n');
        foreach (var (parameter, value) in parameters)
        {
            var rendered = value switch
            {
                null => "NULL",
                DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
                DateOnly date => date.ToString("yyyy'-'MM'-'dd", CultureInfo.InvariantCulture),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            text.Append("   ").Append(parameter).Append(" = ").Append(rendered).Append(" (").Append(value?.GetType().Name).Append(")\n");
        }

        text.Append('\n');
    }

    private static bool StartsClause(string sql, int at)
    {
        foreach (var clause in (string[])["FROM ", "WHERE ", "GROUP BY ", "ORDER BY ", "LIMIT "])
        {
            if (string.CompareOrdinal(sql, at, clause, 0, clause.Length) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
