using TokenAccounting.PostgreSql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;
using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Building;

[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlReportTests(PostgresServer server)
{
    [SkippableFact]
    public async Task BuildAsync_OnPostgreSqlLedger_MatchesSumsOfTheRecords()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var usage = new GeneratedUsage(count: 1500, days: 20, seed: 23);
        await usage.WritePostgreSqlAsync(connectionString);
        var from = GeneratedUsage.Start.AddDays(10);
        var to = GeneratedUsage.Start.AddDays(20);

        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        var report = await SpendReportBuilder.BuildAsync(ledger, new SpendReportOptions(from, to) { Top = 3 });

        report.Source.ShouldBe(UsageQuerySource.Rollups);
        ReportExpectations.ShouldMatch(report, [.. usage.In(from, to)], [.. usage.In(from.AddDays(-10), from)]);
    }
}
