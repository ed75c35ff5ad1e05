using TokenAccounting.PostgreSql.Tests.Infrastructure;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.PostgreSql.Tests;

/// <summary>A rollup key PostgreSQL cannot index is rejected as a data error and quarantined; everything else is written.</summary>
[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlPoisonTests(PostgresServer server)
{
    [SkippableFact]
    public async Task WriteAsync_RollupKeyOverTheIndexRowLimit_ThrowsRejectedAndAppliesNothing()
    {
        server.EnsureAvailable();
        var connectionString = await server.CreateDatabaseAsync();
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        var wide = WideRecord("w1");

        var rejected = await Should.ThrowAsync<UsageSinkRejectedException>(async () => await ledger.WriteAsync(Batch("b1", wide, Record("ok", Day1, 1, 1)), default));

        rejected.InnerException.ShouldBeOfType<Npgsql.PostgresException>().SqlState.ShouldStartWith("54");
        (await ledger.GetUsedAsync(Day1, Day1.AddDays(1))).RequestCount.ShouldBe(0, "the transaction was rolled back");
    }

    [SkippableFact]
    public async Task Pipeline_RollupKeyOverTheIndexRowLimit_OnlyThatKeyIsQuarantinedAndEverythingElseFlows()
    {
        server.EnsureAvailable();
        var connectionString = await server.CreateDatabaseAsync();
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        await using var recorder = UsageRecorder.Create(new TokenAccountingOptions { FlushTimeout = TimeSpan.FromMinutes(2) }, ledger);

        for (var i = 0; i < 20; i++)
        {
            recorder.Record(Record($"r{i}", Day1.AddMinutes(i), 10, 1, user: $"u{i % 3}"));
        }

        recorder.Record(WideRecord("wide"));
        await recorder.FlushAsync();
        recorder.Record(Record("later", Day1.AddHours(2), 5, 5, user: "u0"));
        await recorder.FlushAsync();

        var sink = recorder.GetDiagnostics().Sinks.ShouldHaveSingleItem();
        sink.QuarantinedRollups.ShouldBe(1);
        sink.QuarantinedRecords.ShouldBe(0, "the detail row has no such index: it is stored");
        sink.DeliveredRecords.ShouldBe(22);
        sink.BufferedRecords.ShouldBe(0);
        sink.PendingRollups.ShouldBe(0);
        recorder.GetQuarantine().ShouldHaveSingleItem().Rollup!.Key.UserId.ShouldBe(WideRecord("x").UserId);
        var used = await ledger.GetUsedAsync(Day1, Day1.AddDays(1));
        used.RequestCount.ShouldBe(21, "every other key's deltas, the later record's included");
        used.Tokens.Total.ShouldBe((20 * 11) + 10);
    }

    /// <summary>Five key fields of 256 random CJK characters each: within the per-field limits, far over the ~2,700-byte btree row limit.</summary>
    private static UsageRecord WideRecord(string id)
    {
        var random = new Random(12);
        string Wide() => new([.. Enumerable.Range(0, 256).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        return Record(id, Day1.AddHours(1), 1, 1, model: Wide(), provider: Wide(), user: Wide(), tenant: Wide(), apiKey: Wide());
    }
}
