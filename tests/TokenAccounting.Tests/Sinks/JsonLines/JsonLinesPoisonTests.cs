namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>
/// A record the JSON-lines ledger cannot write — or whose line its own reader would reject, such as a cost whose total
/// overflows written without Record()'s validation — is rejected by id (a data error), never retried forever.
/// </summary>
public sealed class JsonLinesPoisonTests
{
    [Fact]
    public async Task WriteAsync_RecordBreakingTheRecordRules_ThrowsRejectedNamingTheRecordAndWritesNothing()
    {
        using var folder = new TempFolder();
        await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = folder.Template });
        var completed = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        var good = Usage.Chat("gpt-4o", 1, 1) with { Id = "good", CompletedAt = completed };
        var bad = Usage.Chat("gpt-4o", 1, 1) with { Id = "bad", CompletedAt = completed, Cost = new UsageCost(decimal.MaxValue, decimal.MaxValue, 0m, 0m, 0m) };

        var rejected = await Should.ThrowAsync<UsageSinkRejectedException>(async () => await sink.WriteAsync(new UsageBatch("b1", [good, bad], []), CancellationToken.None));
        rejected.RecordIds.ShouldBe(["bad"]);
        File.Exists(folder.Day("2026-12-01")).ShouldBeFalse("nothing of the batch was written");

        await sink.WriteAsync(new UsageBatch("b1.r", [good], []), CancellationToken.None);
        var ids = new List<string>();
        await foreach (var record in JsonLinesUsageLedger.ReadAsync(folder.Path))
        {
            ids.Add(record.Id!);
        }

        ids.ShouldBe(["good"]);
    }

    [Fact]
    public async Task Pipeline_RecordTheLedgerCannotWrite_IsQuarantinedAndTheRestReachesTheFile()
    {
        using var folder = new TempFolder();
        await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = folder.Template });
        await using var recorder = UsageRecorder.Create(new TokenAccountingOptions { FlushTimeout = TimeSpan.FromMinutes(1) }, sink);

        // Written straight to the pipeline's sink batch as a priced record the ledger cannot total (validation at
        // Record() may reject such a cost first; then this record never gets here and only the count differs).
        var bad = Usage.Chat("gpt-4o", 1, 1) with { Id = "bad", Cost = new UsageCost(decimal.MaxValue, decimal.MaxValue, 0m, 0m, 0m) };
        var accepted = true;
        try
        {
            recorder.Record(bad);
        }
        catch (ArgumentException)
        {
            accepted = false;
        }

        for (var i = 0; i < 10; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 1, 1) with { Id = $"ok-{i}" });
        }

        await recorder.FlushAsync();

        var ids = new List<string>();
        await foreach (var record in JsonLinesUsageLedger.ReadAsync(folder.Path))
        {
            ids.Add(record.Id!);
        }

        ids.Count.ShouldBe(10);
        ids.ShouldNotContain("bad");
        recorder.GetDiagnostics().Sinks[0].QuarantinedRecords.ShouldBe(accepted ? 1 : 0);
        recorder.GetDiagnostics().Sinks[0].BufferedRecords.ShouldBe(0);
    }
}
