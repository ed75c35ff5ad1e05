using Microsoft.Data.Sqlite;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.Sqlite.Tests.Querying;

/// <summary>
/// Sums in the SQLite ledger (issue 12 §2): rollup upserts and query sums saturate at long.MaxValue and
/// decimal.MaxValue — never an error, never a REAL read back negative — and a stored row that breaks the record
/// rules is named by the query instead of being summed (§1).
/// </summary>
public sealed class SqliteLedgerArithmeticTests : IDisposable
{
    private static readonly long Half = (long.MaxValue / 2) + 1;

    private readonly TempDatabase _db = new();
    private readonly SqliteUsageLedger _ledger;

    public SqliteLedgerArithmeticTests() => _ledger = new SqliteUsageLedger(_db.Options());

    public void Dispose()
    {
        _ledger.Dispose();
        _db.Dispose();
    }

    [Fact]
    public async Task WriteAsync_RollupTokenSumsOverflowingLong_SaturateAndReadBackAsLongMaxValue()
    {
        await _ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), Half, 1)), default);
        await _ledger.WriteAsync(Batch("b2", Record("r2", Day1.AddHours(2), Half, 1)), default);

        var row = (await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();

        row.Tokens.Input.ShouldBe(long.MaxValue);
        row.Tokens.Output.ShouldBe(2);
        row.Tokens.Total.ShouldBe(long.MaxValue);
        row.RequestCount.ShouldBe(2);
        StoredRollupInput().ShouldBe(long.MaxValue);
    }

    [Fact]
    public async Task WriteAsync_RollupCostSumsOverflowingDecimal_SaturateInsteadOfFailingTheBatch()
    {
        var big = Cost((decimal.MaxValue / 2) + 1, 1m);
        await _ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 1, 1, cost: big)), default);
        await _ledger.WriteAsync(Batch("b2", Record("r2", Day1.AddHours(2), 1, 1, cost: big)), default);

        var row = (await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();

        row.Cost!.Input.ShouldBe(decimal.MaxValue);
        row.Cost.Output.ShouldBe(2m);
        row.Cost.Total.ShouldBe(decimal.MaxValue);
    }

    [Fact]
    public async Task QueryTotalsAsync_DetailSumsOverflowingLong_SaturateInsteadOfIntegerOverflow()
    {
        await _ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), Half, 0), Record("r2", Day1.AddHours(2), Half, 0), Record("r3", Day1.AddHours(3), 5, 7)), default);

        // Not day-aligned: answered from the details.
        var result = await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)));

        result.Source.ShouldBe(UsageQuerySource.Details);
        var row = result.Rows.ShouldHaveSingleItem();
        row.Tokens.Input.ShouldBe(long.MaxValue);
        row.Tokens.Output.ShouldBe(7);
        row.RequestCount.ShouldBe(3);
    }

    [Fact]
    public async Task QueryTotalsAsync_DetailCostSumsOverflowingDecimal_Saturate()
    {
        var big = Cost((decimal.MaxValue / 2) + 1, 0m);
        await _ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 1, 1, cost: big), Record("r2", Day1.AddHours(2), 1, 1, cost: big)), default);

        var row = (await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)))).Rows.ShouldHaveSingleItem();

        row.Cost!.Input.ShouldBe(decimal.MaxValue);
    }

    [Fact]
    public async Task QueryTotalsAsync_ExactSumsBelowTheLimit_StayExact()
    {
        // Large values whose sum still fits: the split into high and low halves must add back exactly.
        const long a = (1L << 62) + 12345;
        const long b = (1L << 61) + ((1L << 32) - 1);
        await _ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), a, 3), Record("r2", Day1.AddHours(2), b, 4)), default);

        var details = (await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)))).Rows.ShouldHaveSingleItem();
        var rollups = (await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();

        details.Tokens.Input.ShouldBe(a + b);
        rollups.Tokens.Input.ShouldBe(a + b);
        details.Tokens.Output.ShouldBe(7);
    }

    [Fact]
    public async Task QueryTotalsAsync_StoredDetailRowBreakingTheRules_ThrowsNamingTheRowId()
    {
        await _ledger.WriteAsync(Batch("b1", Record("good", Day1.AddHours(1), 10, 1), Record("tampered", Day1.AddHours(2), 10, 1)), default);
        Execute("UPDATE usage_records SET input_tokens = -5 WHERE id = 'tampered'");

        var ex = await Should.ThrowAsync<InvalidDataException>(() => _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12))).AsTask());

        ex.Message.ShouldContain("usage_records");
        ex.Message.ShouldContain("the detail row with id tampered");
    }

    [Fact]
    public async Task QueryTotalsAsync_StoredRollupRowBreakingTheRules_ThrowsNamingTheRowKey()
    {
        await _ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 1, user: "u1")), default);
        Execute("UPDATE usage_rollups SET cached_input_tokens = 11");

        var ex = await Should.ThrowAsync<InvalidDataException>(() => _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1))).AsTask());

        ex.Message.ShouldContain("usage_rollups");
        ex.Message.ShouldContain("2026-01-15|gpt-4o|openai|chat|u1||");
    }

    private long StoredRollupInput()
    {
        using var connection = new SqliteConnection(_db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT typeof(input_tokens) || ':' || input_tokens FROM usage_rollups";
        var text = (string)command.ExecuteScalar()!;
        text.ShouldStartWith("integer:");
        return long.Parse(text["integer:".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection(_db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
