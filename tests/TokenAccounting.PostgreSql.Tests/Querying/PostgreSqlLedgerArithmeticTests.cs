using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.PostgreSql.Tests.Querying;

/// <summary>
/// Sums in the PostgreSQL ledger (issue 12 §2): rollup upserts saturate instead of raising 22003, query sums of
/// bigint and numeric saturate into long and decimal, and a stored row that breaks the record rules is named (§1).
/// </summary>
[Collection(PostgresTestGroup.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ledger is disposed by IAsyncLifetime.DisposeAsync.")]
public sealed class PostgreSqlLedgerArithmeticTests(PostgresServer server) : IAsyncLifetime
{
    private static readonly long Half = (long.MaxValue / 2) + 1;

    private PostgreSqlUsageLedger? _ledger;
    private string _connectionString = string.Empty;

    public async Task InitializeAsync()
    {
        if (server.UnavailableReason is not null)
        {
            return;
        }

        _connectionString = await server.CreateDatabaseAsync();
        _ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = _connectionString });
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

    [Fact]
    public async Task WriteAsync_RollupTokenSumsOverflowingBigint_SaturateInsteadOfFailing()
    {
        await Ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), Half, 1)), default);
        await Ledger.WriteAsync(Batch("b2", Record("r2", Day1.AddHours(2), Half, 1)), default);

        var row = (await Ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();

        row.Tokens.Input.ShouldBe(long.MaxValue);
        row.Tokens.Output.ShouldBe(2);
        row.Tokens.Total.ShouldBe(long.MaxValue);
        row.RequestCount.ShouldBe(2);
    }

    [Fact]
    public async Task WriteAsync_RollupCostSumsBeyondDecimal_SaturateAndReadBack()
    {
        var big = Cost((decimal.MaxValue / 2) + 1, 1m);
        await Ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 1, 1, cost: big)), default);
        await Ledger.WriteAsync(Batch("b2", Record("r2", Day1.AddHours(2), 1, 1, cost: big)), default);

        var row = (await Ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();

        row.Cost!.Input.ShouldBe(decimal.MaxValue);
        row.Cost.Output.ShouldBe(2m);
    }

    [Fact]
    public async Task QueryTotalsAsync_DetailSumsBeyondBigintAndDecimal_Saturate()
    {
        var big = Cost((decimal.MaxValue / 2) + 1, 0m);
        await Ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), Half, 0, cost: big), Record("r2", Day1.AddHours(2), Half, 3, cost: big)), default);

        // Not day-aligned: answered from the details.
        var result = await Ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)) { GroupBy = [UsageDimension.Model], Top = 5 });

        result.Source.ShouldBe(UsageQuerySource.Details);
        var row = result.Rows.ShouldHaveSingleItem();
        row.Tokens.Input.ShouldBe(long.MaxValue);
        row.Tokens.Output.ShouldBe(3);
        row.Cost!.Input.ShouldBe(decimal.MaxValue);
    }

    [Fact]
    public async Task QueryTotalsAsync_StoredDetailRowBreakingTheRules_ThrowsNamingTheRowId()
    {
        await Ledger.WriteAsync(Batch("b1", Record("good", Day1.AddHours(1), 10, 1), Record("tampered", Day1.AddHours(2), 10, 1)), default);
        await ExecuteAsync("UPDATE usage_records SET reasoning_tokens = 5 WHERE id = 'tampered'");

        var ex = await Should.ThrowAsync<InvalidDataException>(() => Ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12))).AsTask());

        ex.Message.ShouldContain("the detail row with id tampered");
    }

    [Fact]
    public async Task QueryTotalsAsync_StoredRollupRowWithNegativeCount_ThrowsNamingTheRowKey()
    {
        await Ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 1, tenant: "t1")), default);
        await ExecuteAsync("UPDATE usage_rollups SET input_tokens = -1");

        var ex = await Should.ThrowAsync<InvalidDataException>(() => Ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1))).AsTask());

        ex.Message.ShouldContain("usage_rollups");
        ex.Message.ShouldContain("2026-01-15|gpt-4o|openai|chat||t1|");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
