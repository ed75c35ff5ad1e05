using Microsoft.Data.Sqlite;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.Sqlite.Tests;

/// <summary>The SQLite ledger classifies its errors near the I/O, names its file, and honours cancellation.</summary>
public sealed class SqliteUsageLedgerHardeningTests
{
    [Fact]
    public async Task WriteAsync_DatabaseLockedByAnotherConnection_ReturnsOnCancellationAndAppliesNothing()
    {
        using var db = new TempDatabase();
        using var ledger = new SqliteUsageLedger(db.Options());
        await ledger.WriteAsync(Batch("warm", Record("w", Day1, 1, 1)), CancellationToken.None);

        using (var other = new SqliteConnection(db.ConnectionString))
        {
            other.Open();
            using var hold = other.BeginTransaction(deferred: false);
            using var cts = new CancellationTokenSource();
            var write = ledger.WriteAsync(Batch("blocked", Record("b", Day1, 5, 5)), cts.Token).AsTask();
            write.IsCompleted.ShouldBeFalse("the write waits for the lock off the caller's thread");
            await cts.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
            hold.Rollback();
        }

        await ledger.WriteAsync(Batch("after", Record("a", Day1, 2, 2)), CancellationToken.None);
        (await ledger.GetUsedAsync(Day1, Day1.AddDays(1))).Tokens.Total.ShouldBe(6, "warm + after; the cancelled batch was not applied");
    }

    [Fact]
    public async Task WriteAsync_CorruptDatabaseFile_ThrowsIOExceptionNamingTheFile()
    {
        using var db = new TempDatabase();
        Directory.CreateDirectory(Path.GetDirectoryName(db.FilePath)!);
        await File.WriteAllBytesAsync(db.FilePath, Enumerable.Repeat((byte)0x5A, 64 * 1024).ToArray());
        using var ledger = new SqliteUsageLedger(db.Options());

        var error = await Should.ThrowAsync<IOException>(async () => await ledger.WriteAsync(Batch("b1", Record("r1", Day1, 1, 1)), CancellationToken.None));

        error.Message.ShouldContain(db.FilePath);
        error.InnerException.ShouldBeOfType<SqliteException>();
    }

    [Fact]
    public async Task Pipeline_RollupCostSumOverflowsInTheDatabase_SaturatesAndNothingIsQuarantined()
    {
        // The stored sum saturates at decimal.MaxValue (the ledgers' arithmetic rule): a rollup key whose cost grows
        // past what a decimal holds is no longer a write SQLite fails on, so nothing is quarantined or retried.
        using var db = new TempDatabase();
        using var ledger = new SqliteUsageLedger(db.Options());
        await using var recorder = UsageRecorder.Create(new TokenAccountingOptions { FlushTimeout = TimeSpan.FromMinutes(1) }, ledger);
        var huge = new UsageCost(60_000_000_000_000_000_000_000_000_000m, 0m, 0m, 0m, 0m);

        recorder.Record(Record("a1", Day1, 1, 1, user: "a", cost: huge));
        await recorder.FlushAsync();
        recorder.Record(Record("a2", Day1, 1, 1, user: "a", cost: huge));
        recorder.Record(Record("b1", Day1, 3, 3, user: "b", cost: Cost(1m, 0m)));
        await recorder.FlushAsync();

        var sink = recorder.GetDiagnostics().Sinks.ShouldHaveSingleItem();
        sink.QuarantinedRollups.ShouldBe(0);
        sink.QuarantinedRecords.ShouldBe(0);
        sink.DeliveredRecords.ShouldBe(3);
        sink.BufferedRecords.ShouldBe(0);
        recorder.GetQuarantine().ShouldBeEmpty();
        var a = await ledger.GetUsedAsync(Day1, Day1.AddDays(1), UsageDimension.User, "a");
        a.Tokens.Total.ShouldBe(4, "both of a's deltas are stored");
        a.Cost!.Total.ShouldBe(decimal.MaxValue, "saturated, never wrapped or failed");
        (await ledger.GetUsedAsync(Day1, Day1.AddDays(1), UsageDimension.User, "b")).Cost!.Total.ShouldBe(1m, "b's key is exact");
    }

    [Fact]
    public async Task DiskFull_IsTransient_EveryRecordIsStoredOnceSpaceComesBack()
    {
        using var disk = SmallDisk.TryCreate(4096);
        if (disk is null)
        {
            // Mounting a tiny file system needs root; where that is not possible this scenario cannot be built.
            return;
        }

        var path = Path.Combine(disk.Path, "usage.db");
        using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={path};Pooling=False" });
        var options = new TokenAccountingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(5), FlushTimeout = TimeSpan.FromMilliseconds(300), SplitBatchAfterFailures = 1 };
        await using var recorder = UsageRecorder.Create(options, ledger);

        recorder.Record(Record("first", Day1, 1, 1));
        await recorder.FlushAsync();
        disk.Fill();
        for (var i = 0; i < 3000; i++)
        {
            recorder.Record(Record($"r{i}", Day1.AddSeconds(i), 1, 1, user: $"u{i % 50}"));
        }

        while (recorder.GetDiagnostics().Sinks[0].FailedAttempts < 5)
        {
            await recorder.FlushAsync();
        }

        recorder.GetDiagnostics().Sinks[0].QuarantinedRecords.ShouldBe(0, "disk full is transient");
        disk.Free();
        options.FlushTimeout = TimeSpan.FromMinutes(1);
        await recorder.FlushAsync();

        var sink = recorder.GetDiagnostics().Sinks[0];
        sink.DeliveredRecords.ShouldBe(3001);
        sink.QuarantinedRecords.ShouldBe(0);
        sink.QuarantinedRollups.ShouldBe(0);
        (await ledger.GetUsedAsync(Day1, Day1.AddDays(1))).Tokens.Total.ShouldBe(6002);
    }
}
