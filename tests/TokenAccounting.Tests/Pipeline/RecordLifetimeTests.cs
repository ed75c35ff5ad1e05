namespace TokenAccounting.Tests.Pipeline;

/// <summary>
/// Records are handed on soon enough to die young (issue 13): an idle sink worker writes a chunk's worth without
/// waiting for a full batch, a trickle still waits for the interval, and records that overflowed the ingest queue are
/// rolled up exactly without an enriched copy.
/// </summary>
public sealed class RecordLifetimeTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 23, 59, 59, TimeSpan.Zero);

    [Fact]
    public async Task Append_IdleWorkerAndAChunkBuffered_WritesWithoutAFullBatchOrTheInterval()
    {
        // The clock never moves: only the group-commit rule can start this write.
        var time = new FakeTimeProvider(Start);
        var sink = new FakeUsageSink();
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions { MaxBatchSize = 1000, FlushInterval = TimeSpan.FromHours(1) }, time, null, null, pricer: null, observers: null);

        for (var i = 0; i < SinkWorker.GroupCommitSize + 44; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.DrainAggregatorAsync();
        await sink.WaitForRecordsAsync(SinkWorker.GroupCommitSize).WaitAsync(TimeSpan.FromSeconds(30));

        sink.Attempts.ShouldNotBeEmpty();
        sink.Attempts.ShouldAllBe(b => b.Records.Count < 1000, "written before a full batch gathered");
        sink.Attempts[0].Records.Count.ShouldBeGreaterThanOrEqualTo(SinkWorker.GroupCommitSize, "an idle worker waits for a chunk's worth, not for one record");
    }

    [Fact]
    public async Task Append_IdleWorkerAndFewerThanAChunk_WaitsForTheIntervalOrAFlush()
    {
        var time = new FakeTimeProvider(Start);
        var sink = new FakeUsageSink();
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions { MaxBatchSize = 1000, FlushInterval = TimeSpan.FromHours(1) }, time, null, null, pricer: null, observers: null);

        for (var i = 0; i < SinkWorker.GroupCommitSize - 1; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.DrainAggregatorAsync();

        sink.AttemptCount.ShouldBe(0, "a trickle is not written record by record");
        recorder.GetDiagnostics().Sinks[0].BufferedRecords.ShouldBe(SinkWorker.GroupCommitSize - 1);
        await recorder.FlushAsync();
        sink.Attempts.ShouldHaveSingleItem().Records.Count.ShouldBe(SinkWorker.GroupCommitSize - 1);
    }

    [Fact]
    public async Task Record_OverflowedAcrossMidnight_RollsUpExactlyOnTheDayEachCallStamped()
    {
        var time = new FakeTimeProvider(Start);
        var sink = new InMemoryUsageSink();
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions { QueueCapacity = 64, MaxBufferedRecords = 10_000 }, time, null, null, pricer: null, observers: null);
        recorder.SuspendBackgroundAggregation(true);
        var cost = new UsageCost(0.001m, 0m, 0m, 0.002m, 0m);

        for (var i = 0; i < 300; i++)
        {
            recorder.Record(Usage.Chat("m", 10, 2) with { Cost = cost });
        }

        time.Advance(TimeSpan.FromSeconds(1));
        using (UsageScope.Begin("night", userId: "u-scope"))
        {
            for (var i = 0; i < 200; i++)
            {
                recorder.Record(Usage.Chat("m", 10, 2) with { Cost = cost });
            }
        }

        for (var i = 0; i < 100; i++)
        {
            recorder.Record(Usage.Chat("m", 5, 1, userId: "u-own"));
        }

        recorder.GetDiagnostics().RecordsFoldedOnQueueFull.ShouldBeGreaterThan(400, "most of them overflowed the 64-slot queue");
        await recorder.FlushAsync();

        var day1 = DateOnly.FromDateTime(Start.UtcDateTime);
        var day2 = day1.AddDays(1);
        var byKey = sink.Rollups.GroupBy(r => (r.Key.Date, r.Key.UserId)).ToDictionary(g => g.Key, g => (Requests: g.Sum(r => r.RequestCount), Input: g.Sum(r => r.Tokens.Input), Cost: g.Sum(r => r.Cost?.Total ?? 0m)));
        byKey[(day1, null)].ShouldBe((300L, 3000L, 0.9m));
        byKey[(day2, "u-scope")].ShouldBe((200L, 2000L, 0.6m), "overflowed records in a scope still inherit its user");
        byKey[(day2, "u-own")].ShouldBe((100L, 500L, 0m));
        byKey.Count.ShouldBe(3);
        sink.Rollups.Where(r => r.Key.UserId == "u-own").ShouldAllBe(r => r.Cost == null, "unpriced stays unpriced");
        var diagnostics = recorder.GetDiagnostics();
        (sink.Records.Count + diagnostics.Sinks[0].DroppedOnQueueFull).ShouldBe(600, "every detail is delivered or counted as dropped");
    }
}
