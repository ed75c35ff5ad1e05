using System.Globalization;
using TokenAccounting.PostgreSql.Tests.Infrastructure;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.PostgreSql.Tests.Querying;

/// <summary>Queries against the same hand-computed expectations as the SQLite ledger's tests.</summary>
[Collection(PostgresTestGroup.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ledger is disposed by IAsyncLifetime.DisposeAsync.")]
public sealed class PostgreSqlUsageQueryTests(PostgresServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset Day2 = Day1.AddDays(1);
    private static readonly DateTimeOffset Day3 = Day1.AddDays(2);

    private static readonly UsageRecord[] Records =
    [
        Record("r1", Day1.AddHours(1), 100, 10, user: "u1", tenant: "t1", apiKey: "k1", cost: Cost(1.00m, 0.50m)),
        Record("r2", Day1.AddHours(2), 200, 20, user: "u2", tenant: "t1", apiKey: "k1", cost: Cost(2.00m, 1.00m)),
        Record("r3", Day1.AddHours(13), 50, 50, model: "claude-sonnet-4", provider: "anthropic", user: "u1", tenant: "t2", apiKey: "k2"),
        Record("r4", Day2.AddHours(9), 300, 30, user: "u1", tenant: "t1", apiKey: "k1", cost: Cost(3.00m, 1.50m)),
        Record("r5", Day2.AddHours(10), 1000, 0, model: "text-embedding-3-small", user: "u3", cost: Cost(0.02m, 0m), operation: UsageOperation.Embeddings),
        Record("r6", Day3, 7, 0, user: "u1", tenant: "t1", apiKey: "k1", cost: Cost(0.07m, 0m)),
    ];

    private PostgreSqlUsageLedger? _ledger;

    public async Task InitializeAsync()
    {
        if (server.UnavailableReason is not null)
        {
            return;
        }

        _ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = await server.CreateDatabaseAsync() });
        await _ledger.WriteAsync(new UsageBatch("b1", Records[..3], Rollups(Records[..3])), default);
        await _ledger.WriteAsync(new UsageBatch("b2", Records[3..], Rollups(Records[3..])), default);
    }

    public async Task DisposeAsync()
    {
        if (_ledger is not null)
        {
            await _ledger.DisposeAsync();
        }
    }

    private PostgreSqlUsageLedger Ledger
    {
        get
        {
            server.EnsureAvailable();
            return _ledger!;
        }
    }

    public static TheoryData<string, string[]> Cases => new()
    {
        { "by-date", ["2026-01-15|||||||430|3|1|4.50", "2026-01-16|||||||1330|2|0|4.52"] },
        { "top2-users-by-tokens", ["||||u3|||1000|1|0|0.02", "||||u1|||540|3|1|6.00"] },
        { "top1-model-by-cost", ["|gpt-4o||||||660|3|0|9.00"] },
        { "tenant-operation", ["|||embeddings||||1000|1|0|0.02", "|||chat||t1||660|3|0|9.00", "|||chat||t2||100|1|1|"] },
        { "provider-not-day-aligned", ["||anthropic|||||100|1|1|", "||openai|||||550|2|0|7.50"] },
        { "api-key-filter", ["|||||||660|3|0|9.00"] },
        { "nothing-matches", ["|||||||0|0|0|"] },
        { "all-dimensions-top1-by-requests", ["2026-01-15|claude-sonnet-4|anthropic|chat|u1|t2|k2|100|1|1|"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task QueryTotalsAsync_Case_MatchesHandComputedRows(string name, string[] expected)
    {
        var query = Query(name);

        var result = await Ledger.QueryTotalsAsync(query);

        result.Rows.Select(Format).ShouldBe(expected);
        result.Source.ShouldBe(query.IsDayAligned ? UsageQuerySource.Rollups : UsageQuerySource.Details);
    }

    [SkippableFact]
    public async Task QueryTotalsAsync_DayAlignedRange_ReadsRollupsEvenWithoutDetails()
    {
        var rollupsOnly = Rollups([Record("x", Day1.AddHours(5), 40, 2, user: "u9")]);
        await Ledger.WriteAsync(new UsageBatch("b3", [], rollupsOnly), default);

        var used = await Ledger.GetUsedAsync(Day1, Day2, UsageDimension.User, "u9");
        var detailsOnly = await Ledger.GetUsedAsync(Day1, Day1.AddHours(23), UsageDimension.User, "u9");

        used.Tokens.Total.ShouldBe(42);
        detailsOnly.RequestCount.ShouldBe(0);
    }

    private static UsageQuery Query(string name) => name switch
    {
        "by-date" => new UsageQuery(Day1, Day3) { GroupBy = [UsageDimension.Date] },
        "top2-users-by-tokens" => new UsageQuery(Day1, Day3) { GroupBy = [UsageDimension.User], OrderBy = UsageQueryOrder.TotalTokens, Top = 2 },
        "top1-model-by-cost" => new UsageQuery(Day1, Day3) { GroupBy = [UsageDimension.Model], OrderBy = UsageQueryOrder.Cost, Top = 1 },
        "tenant-operation" => new UsageQuery(Day1, Day3) { GroupBy = [UsageDimension.Tenant, UsageDimension.Operation] },
        "provider-not-day-aligned" => new UsageQuery(Day1.AddMinutes(90), Day2.AddMinutes(570)) { GroupBy = [UsageDimension.Provider] },
        "api-key-filter" => new UsageQuery(Day1, Day3) { ApiKeyId = "k1" },
        "nothing-matches" => new UsageQuery(Day1, Day3) { TenantId = "nobody" },
        "all-dimensions-top1-by-requests" => new UsageQuery(Day1, Day2)
        {
            GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider, UsageDimension.Operation, UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey],
            OrderBy = UsageQueryOrder.RequestCount,
            Top = 1,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown case."),
    };

    private static string Format(UsageQueryRow row) => string.Join(
        '|',
        row.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        row.Model,
        row.Provider,
        row.Operation?.Value,
        row.UserId,
        row.TenantId,
        row.ApiKeyId,
        row.Tokens.Total.ToString(CultureInfo.InvariantCulture),
        row.RequestCount.ToString(CultureInfo.InvariantCulture),
        row.UnpricedRequestCount.ToString(CultureInfo.InvariantCulture),
        row.Cost?.Total.ToString(CultureInfo.InvariantCulture));
}
