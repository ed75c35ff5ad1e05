using Microsoft.Data.Sqlite;
using static TokenAccounting.Sqlite.Tests.SqliteSchemaMigrationTests;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.Sqlite.Tests;

/// <summary>
/// Schema 3 round trips (issue 15 §4): every field of a record through <see cref="SqliteUsageLedger.WriteAsync"/> and
/// <see cref="SqliteUsageLedger.ReadAsync"/>, the audio counts and every cost part through the queries, and the
/// readers' checks of what they read.
/// </summary>
public sealed class SqliteUsageLedgerReadTests : IDisposable
{
    private static readonly long Half = (long.MaxValue / 2) + 1;

    private readonly TempDatabase _db = new();
    private readonly SqliteUsageLedger _ledger;

    public SqliteUsageLedgerReadTests() => _ledger = new SqliteUsageLedger(_db.Options());

    public void Dispose()
    {
        _ledger.Dispose();
        _db.Dispose();
    }

    [Fact]
    public async Task ReadAsync_RecordWithEveryFieldSet_ReadsBackEveryField()
    {
        var full = LedgerRecords.Full("full", Day1.AddHours(3).AddTicks(10));
        var minimal = Record("minimal", Day1.AddHours(4), 1, 1) with { Provider = null };
        await _ledger.WriteAsync(Batch("b1", full, minimal), default);

        var records = await ToListAsync(_ledger.ReadAsync(Day1, Day1.AddDays(1)));

        records.Count.ShouldBe(2);
        records[0].ShouldMatch(full);
        records[1].ShouldMatch(minimal);
        records[1].ServerToolCalls.ShouldBeNull();
        records[1].Tags.ShouldBeNull();
        records[1].Cost.ShouldBeNull();
    }

    [Fact]
    public async Task ReadAsync_Range_ReturnsOnlyRecordsCompletedInItOldestFirst()
    {
        await _ledger.WriteAsync(Batch("b1", Record("late", Day1.AddHours(5), 1, 1), Record("before", Day1.AddTicks(-1), 1, 1), Record("b", Day1.AddHours(2), 1, 1), Record("a", Day1.AddHours(2), 1, 1), Record("end", Day1.AddHours(6), 1, 1)), default);

        var records = await ToListAsync(_ledger.ReadAsync(Day1, Day1.AddHours(6)));

        records.Select(r => r.Id).ShouldBe(["a", "b", "late"]);
    }

    [Fact]
    public void ReadAsync_EndNotAfterStart_ThrowsNamingTo()
    {
        var error = Should.Throw<ArgumentException>(() => _ledger.ReadAsync(Day1, Day1));

        error.ParamName.ShouldBe("to");
    }

    [Theory]
    [InlineData("cached_input_audio_tokens = 500", "CachedInputAudio")]
    [InlineData("output_audio_tokens = 380", "OutputAudio")]
    [InlineData("server_tool_calls = '{\"web_search\":-1}'", "ServerToolCalls")]
    [InlineData("cost_requests = '-0.5'", "requests")]
    [InlineData("outcome = 'exploded'", "outcome")]
    [InlineData("server_tool_calls = 'not json'", "server_tool_calls")]
    public async Task ReadAsync_StoredRowBreakingTheRules_ThrowsNamingTheRowAndTheRule(string tampering, string rule)
    {
        await _ledger.WriteAsync(Batch("b1", LedgerRecords.Full("good", Day1.AddHours(1)), LedgerRecords.Full("tampered", Day1.AddHours(2))), default);
        Execute($"UPDATE usage_records SET {tampering} WHERE id = 'tampered'");

        var error = await Should.ThrowAsync<InvalidDataException>(() => ToListAsync(_ledger.ReadAsync(Day1, Day1.AddDays(1))));

        error.Message.ShouldContain("the detail row with id tampered");
        error.Message.ShouldContain(rule, Case.Insensitive);
    }

    [Fact]
    public async Task QueryTotalsAsync_AudioCountsAndEveryCostPart_SumInRollupsAndDetailsAlike()
    {
        var first = LedgerRecords.Full("r1", Day1.AddHours(1));
        var second = LedgerRecords.Full("r2", Day1.AddHours(2)) with
        {
            Tokens = new TokenCounts(500, 90, 0, 0, 0, 0, inputAudio: 480, cachedInputAudio: 0, outputAudio: 90),
            Cost = new UsageCost(0m, 0m, 0m, 0m, 0m, 0m, 0.048m, 0m, 0.009m, 0.001m, 0.01m),
        };
        await _ledger.WriteAsync(Batch("b1", first, second), default);
        var expectedTokens = new TokenCounts(1500, 490, 300, 200, 100, 50, inputAudio: 730, cachedInputAudio: 120, outputAudio: 240);
        var expectedCost = new UsageCost(0.001m, 0.0002m, 0.003m, 0.004m, 0.0005m, 0.001m, 0.0541m, 0.00007m, 0.017m, 0.006m, 0.04m);

        var fromRollups = await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)) { GroupBy = [UsageDimension.User] });
        var fromDetails = await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)) { GroupBy = [UsageDimension.User] });

        fromRollups.Source.ShouldBe(UsageQuerySource.Rollups);
        fromDetails.Source.ShouldBe(UsageQuerySource.Details);
        foreach (var row in new[] { fromRollups.Rows.ShouldHaveSingleItem(), fromDetails.Rows.ShouldHaveSingleItem() })
        {
            row.Tokens.ShouldBe(expectedTokens);
            row.Cost.ShouldBe(expectedCost);
            row.Cost!.Total.ShouldBe(first.Cost!.Total + second.Cost!.Total);
        }

        var inMemory = await new InMemoryUsageQuery([first, second]).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)) { GroupBy = [UsageDimension.User] });
        inMemory.Rows.ShouldHaveSingleItem().Tokens.ShouldBe(expectedTokens);
    }

    [Fact]
    public async Task QueryTotalsAsync_StoredRowWithAudioBreakingTheRules_ThrowsNamingTheRow()
    {
        await _ledger.WriteAsync(Batch("b1", LedgerRecords.Full("tampered", Day1.AddHours(2))), default);
        Execute("UPDATE usage_records SET cached_input_audio_tokens = 260");
        Execute("UPDATE usage_rollups SET output_audio_tokens = 360");

        var details = await Should.ThrowAsync<InvalidDataException>(() => _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12))).AsTask());
        var rollups = await Should.ThrowAsync<InvalidDataException>(() => _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1))).AsTask());

        details.Message.ShouldContain("the detail row with id tampered");
        rollups.Message.ShouldContain("the rollup row with key 2026-01-15|gpt-4o-realtime|openai|realtime|u1|t1|k1");
    }

    // The queries run a fast form first; each kind of bad row must still send them to the exact form that names it.
    [Theory]
    [InlineData("usage_rollups", "cost_requests = '-1'", "the rollup row with key 2026-01-15|gpt-4o-realtime|openai|realtime|u1|t1|k1")]
    [InlineData("usage_rollups", "unpriced_request_count = 3", "the rollup row with key 2026-01-15|gpt-4o-realtime|openai|realtime|u1|t1|k1")]
    [InlineData("usage_rollups", "tenant_id = replace(hex(zeroblob(150)), '0', 't')", "the rollup row with key 2026-01-15|gpt-4o-realtime|openai|realtime|u1|ttt")]
    [InlineData("usage_records", "cost_server_tool_calls = '-0.01'", "the detail row with id tampered")]
    [InlineData("usage_records", "provider = NULL, model = replace(hex(zeroblob(150)), '0', 'm')", "the detail row with id tampered")]
    [InlineData("usage_records", "input_tokens = 9223372036854775000, output_tokens = 1000", "the detail row with id tampered")]
    public async Task QueryTotalsAsync_StoredRowBreakingEachRule_ThrowsNamingTheRow(string table, string tampering, string named)
    {
        await _ledger.WriteAsync(Batch("b1", LedgerRecords.Full("tampered", Day1.AddHours(2)), LedgerRecords.Full("good", Day1.AddHours(3))), default);
        Execute($"UPDATE {table} SET {tampering}" + (table == "usage_records" ? " WHERE id = 'tampered'" : string.Empty));
        var query = table == "usage_rollups" ? new UsageQuery(Day1, Day1.AddDays(1)) : new UsageQuery(Day1, Day1.AddHours(12));

        var error = await Should.ThrowAsync<InvalidDataException>(() => _ledger.QueryTotalsAsync(query).AsTask());

        error.Message.ShouldContain(named);
    }

    // A rollup whose input saturated may hold cached + cache-write above it: that is a saturated sum, not a bad row.
    [Fact]
    public async Task QueryTotalsAsync_RollupWhoseInputSaturated_CapsThePartsInsteadOfRejectingTheRow()
    {
        var record = Record("r1", Day1.AddHours(1), Half, 1) with { Tokens = new TokenCounts(Half, 1, Half / 2, Half / 2) };
        await _ledger.WriteAsync(Batch("b1", record), default);
        await _ledger.WriteAsync(Batch("b2", record with { Id = "r2" }), default);

        var row = (await _ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();

        row.Tokens.Input.ShouldBe(long.MaxValue);
        row.Tokens.CacheWriteInput.ShouldBe(Half);
        row.Tokens.CachedInput.ShouldBe(long.MaxValue - Half);
        row.RequestCount.ShouldBe(2);
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
