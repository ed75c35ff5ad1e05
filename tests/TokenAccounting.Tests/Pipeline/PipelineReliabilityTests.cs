namespace TokenAccounting.Tests.Pipeline;

/// <summary>The reliability figures stated in the README's guarantees section.</summary>
public sealed class PipelineReliabilityTests
{
    [Fact]
    public async Task FourProducers_SinkFailing30Percent_EveryRecordDeliveredExactlyOnceAndRollupsExact()
    {
        const int Producers = 4;
        const int PerProducer = 250_000;
        var sink = new FakeUsageSink();
        sink.FailWithProbability(0.30, seed: 7);
        await using var recorder = UsageRecorder.Create(
            new TokenAccountingOptions
            {
                QueueCapacity = 1 << 20,
                MaxBufferedRecords = Producers * PerProducer,
                RetryBaseDelay = TimeSpan.FromMilliseconds(1),
                RetryMaxDelay = TimeSpan.FromMilliseconds(4),
                FlushTimeout = TimeSpan.FromMinutes(5),
            },
            sink);

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                recorder.Record(new UsageRecord { Model = p % 2 == 0 ? "gpt-4o" : "claude-sonnet-4", Tokens = new TokenCounts(3, 2), UserId = $"user-{p}" });
            }
        })));
        await recorder.FlushAsync();

        var records = sink.Delivered.Records;
        records.Count.ShouldBe(Producers * PerProducer);
        records.Select(r => r.Id).Distinct().Count().ShouldBe(Producers * PerProducer, "no record was delivered twice");
        sink.FailureCount.ShouldBeGreaterThan(0, "the sink really failed");
        sink.Delivered.Total.Tokens.ShouldBe(new TokenCounts(3L * Producers * PerProducer, 2L * Producers * PerProducer));
        sink.Delivered.Total.RequestCount.ShouldBe(Producers * PerProducer);
        foreach (var p in Enumerable.Range(0, Producers))
        {
            sink.Delivered.TotalsByUser()[$"user-{p}"].RequestCount.ShouldBe(PerProducer);
        }

        recorder.GetDiagnostics().Sinks.ShouldHaveSingleItem().DroppedRecords.ShouldBe(0);
    }

    [Fact]
    public async Task SinkDownForWholeRun_Cap10000_DropsExactly990000AndRollupsStayExact()
    {
        const int Total = 1_000_000;
        const int Cap = 10_000;
        var sink = new FakeUsageSink();
        sink.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        await using var recorder = UsageRecorder.Create(
            new TokenAccountingOptions
            {
                MaxBufferedRecords = Cap,
                RetryBaseDelay = TimeSpan.FromMilliseconds(5),
                RetryMaxDelay = TimeSpan.FromMilliseconds(20),
                FlushTimeout = TimeSpan.FromMilliseconds(50),
            },
            sink);

        for (var i = 0; i < Total; i++)
        {
            recorder.Record(new UsageRecord { Model = "gpt-4o-mini", Tokens = new TokenCounts(10, 1), TenantId = i % 2 == 0 ? "even" : "odd" });
        }

        // FlushAsync is bounded by its 50 ms FlushTimeout, also while the aggregator works through a million records:
        // wait for the aggregator first, so that what is counted below is the sink's state, not the aggregator's progress.
        await recorder.DrainAggregatorAsync();
        await recorder.FlushAsync();
        var whileDown = recorder.GetDiagnostics();
        var sinkDiagnostics = whileDown.Sinks.ShouldHaveSingleItem();
        sinkDiagnostics.DroppedRecords.ShouldBe(Total - Cap);
        sinkDiagnostics.BufferedRecords.ShouldBe(Cap, "memory is bounded by the cap");
        sinkDiagnostics.PendingRollups.ShouldBe(4, "two keys, both in the batch in flight and accumulating: bounded by key count, not volume");
        whileDown.RecordsAggregated.ShouldBe(Total);

        sink.Heal();

        // Each FlushAsync is bounded by the 50 ms FlushTimeout (on a loaded machine the backlog may need more than one).
        while (recorder.GetDiagnostics().Sinks[0].BufferedRecords > 0 || recorder.GetDiagnostics().Sinks[0].PendingRollups > 0)
        {
            await recorder.FlushAsync();
        }

        sink.Delivered.Records.Count.ShouldBe(Cap);
        sink.Delivered.Total.RequestCount.ShouldBe(Total);
        sink.Delivered.Total.Tokens.ShouldBe(new TokenCounts(10L * Total, Total));
        sink.Delivered.TotalsByTenant()["even"].RequestCount.ShouldBe(Total / 2);
    }

    [Fact]
    public async Task QueueFull_RecordFoldsRollupsItself_TotalsStayExact()
    {
        const int Producers = 4;
        const int PerProducer = 100_000;
        var sink = new InMemoryUsageSink();
        // The flush must not give up before the aggregator has worked through 400,000 overflowed records (on a loaded
        // machine that took longer than the default 10 s, and the counters were then read half-way): this test is about
        // exactness, not the timeout.
        await using var recorder = UsageRecorder.Create(new TokenAccountingOptions { QueueCapacity = 64, MaxBufferedRecords = 1_000_000, FlushTimeout = TimeSpan.FromMinutes(10) }, sink);

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                recorder.Record(new UsageRecord { Model = "m", Tokens = new TokenCounts(2, 1) });
            }
        })));
        await recorder.FlushAsync();

        var diagnostics = recorder.GetDiagnostics();
        diagnostics.RecordsFoldedOnQueueFull.ShouldBeGreaterThan(0, "a 64-slot queue overflows under 4 producers");
        diagnostics.Sinks[0].DroppedOnQueueFull.ShouldBe(diagnostics.RecordsFoldedOnQueueFull);
        sink.Total.RequestCount.ShouldBe(Producers * PerProducer, "rollups count every record, folded or not");
        sink.Total.Tokens.ShouldBe(new TokenCounts(2L * Producers * PerProducer, Producers * PerProducer));
        sink.Records.Count.ShouldBe((int)(Producers * PerProducer - diagnostics.RecordsFoldedOnQueueFull), "only details were dropped");
    }
}
