namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>Disk full is transient: nothing is quarantined, everything acknowledged stays, the rest is written once space comes back.</summary>
public sealed class JsonLinesDiskFullTests
{
    [Fact]
    public async Task DiskFull_WritesFailUntilSpaceComesBack_ThenEveryRecordIsInTheLedgerOnce()
    {
        using var disk = SmallDisk.TryCreate(4096);
        if (disk is null)
        {
            // Mounting a tiny file system needs root; where that is not possible this scenario cannot be built.
            return;
        }

        var options = new TokenAccountingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(5), FlushTimeout = TimeSpan.FromMilliseconds(300), SplitBatchAfterFailures = 1 };
        await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(disk.Path, "usage-{date}.jsonl") });
        await using var recorder = UsageRecorder.Create(options, sink);

        for (var i = 0; i < 100; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 1) with { Id = $"before-{i}" });
        }

        await recorder.FlushAsync();
        recorder.GetDiagnostics().Sinks[0].DeliveredRecords.ShouldBe(100);

        disk.Fill();
        for (var i = 0; i < 2000; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 1) with { Id = $"during-{i}" });
        }

        while (recorder.GetDiagnostics().Sinks[0].FailedAttempts < 5)
        {
            await recorder.FlushAsync();
        }

        var whileFull = recorder.GetDiagnostics().Sinks[0];
        whileFull.DeliveredRecords.ShouldBeLessThan(2100, "the disk really was full");
        whileFull.QuarantinedRecords.ShouldBe(0, "disk full is transient: no record is at fault");

        disk.Free();
        options.FlushTimeout = TimeSpan.FromMinutes(1);
        await recorder.FlushAsync();

        var ids = new List<string>();
        await foreach (var record in JsonLinesUsageLedger.ReadAsync(disk.Path))
        {
            ids.Add(record.Id!);
        }

        ids.Distinct().Count().ShouldBe(2100);
        ids.ShouldContain("before-0");
        ids.ShouldContain("during-1999");
        recorder.GetDiagnostics().Sinks[0].QuarantinedRecords.ShouldBe(0);
        recorder.GetQuarantine().ShouldBeEmpty();
    }
}
