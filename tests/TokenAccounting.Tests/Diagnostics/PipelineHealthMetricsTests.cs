using System.Diagnostics.Metrics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>The self-diagnostics instruments: dropped records, sink failures, flush duration, buffered records, budget denials.</summary>
public sealed class PipelineHealthMetricsTests
{
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30];

    [Fact]
    public async Task RecordsDropped_BufferOverflowOnFailingSink_CountsBySinkAndReason()
    {
        using var meters = new IsolatedMeters();
        var sink = new FakeUsageSink();
        sink.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        await using var recorder = meters.CreateRecorder(
            new TokenAccountingOptions { MaxBatchSize = 3, MaxBufferedRecords = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(1) },
            sinks: sink);

        for (var i = 0; i < 10; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 1));
        }

        // The aggregator has handed every record to the sink worker: the drops are counted.
        await recorder.DrainAggregatorAsync();
        var flush = recorder.FlushAsync();
        var dropped = meters.Dropped.GetMeasurementSnapshot();
        sink.Heal();
        await flush;

        meters.Dropped.Instrument.ShouldBeOfType<Counter<long>>().Unit.ShouldBe("{record}");
        dropped.Sum(m => (long)m.Value).ShouldBe(7, "10 records against a cap of 3 on a sink that delivered none");
        dropped.ShouldAllBe(m => m.Tags.Count == 2 && Equals(m.Tags["tokenaccounting.sink"], "FakeUsageSink") && Equals(m.Tags["tokenaccounting.reason"], "buffer_full"));
        recorder.GetDiagnostics().Sink("FakeUsageSink")!.DroppedOnBufferFull.ShouldBe(7, "the metric and the diagnostics agree");
        sink.Delivered.Total.RequestCount.ShouldBe(10, "rollups stayed exact");
    }

    [Fact]
    public async Task RecordsDropped_IngestQueueFull_CountsQueueFullForEverySink()
    {
        using var meters = new IsolatedMeters();
        using var blocker = new BlockingObserver();
        var first = new InMemoryUsageSink();
        var second = new FakeUsageSink();
        await using var recorder = new UsageRecorder(
            [first, second], new TokenAccountingOptions { QueueCapacity = 64 }, timeProvider: null, loggerFactory: null, meters.Factory, pricer: null, observers: [blocker]);

        // Hold the aggregator inside its first record, fill the 64-slot queue, then one more record must be folded by its caller.
        recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        await blocker.Entered;
        for (var i = 0; i < 64; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        }

        var folding = Task.Run(() => recorder.Record(Usage.Chat("gpt-4o", 1, 1)));
        SpinWait.SpinUntil(() => recorder.GetDiagnostics().RecordsFoldedOnQueueFull == 1, TimeSpan.FromSeconds(30)).ShouldBeTrue();
        blocker.Release();
        await folding;
        await recorder.FlushAsync();

        var dropped = meters.Dropped.GetMeasurementSnapshot();
        dropped.Count.ShouldBe(2);
        dropped.ShouldAllBe(m => (long)m.Value == 1 && Equals(m.Tags["tokenaccounting.reason"], "queue_full"));
        dropped.Select(m => m.Tags["tokenaccounting.sink"]).ShouldBe(["InMemoryUsageSink", "FakeUsageSink"], ignoreOrder: true);
        first.Total.RequestCount.ShouldBe(66);
        first.Records.Count.ShouldBe(65);
    }

    [Fact]
    public async Task SinkFailuresAndFlushDuration_SinkThrowsOnceThenWrites_RecordFailureAndBothDurationsInSeconds()
    {
        using var meters = new IsolatedMeters();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var sink = new FailFirstWritesSink(1, time, failingWrite: TimeSpan.FromMilliseconds(250), succeedingWrite: TimeSpan.FromMilliseconds(40));
        await using var recorder = meters.CreateRecorder(time: time, sinks: sink);

        recorder.Record(Usage.Chat("gpt-4o", 10, 1));
        await recorder.FlushAsync();

        sink.Inner.Records.Count.ShouldBe(1, "the retry delivered");
        meters.SinkFailures.Instrument.ShouldBeOfType<Counter<long>>().Unit.ShouldBe("{failure}");
        var failure = meters.SinkFailures.GetMeasurementSnapshot().ShouldHaveSingleItem();
        failure.Value.ShouldBe(1L);
        failure.Tags.ShouldBe(
            new Dictionary<string, object?> { ["tokenaccounting.sink"] = "FailFirstWritesSink", ["error.type"] = "exception" },
            ignoreOrder: true);

        var duration = meters.FlushDuration.Instrument.ShouldBeOfType<Histogram<double>>();
        duration.Unit.ShouldBe("s");
        duration.Advice.ShouldNotBeNull().HistogramBucketBoundaries.ShouldBe(DurationBuckets);
        var durations = meters.FlushDuration.GetMeasurementSnapshot();
        durations.Count.ShouldBe(2);
        durations.ShouldAllBe(m => Equals(m.Tags["tokenaccounting.sink"], "FailFirstWritesSink"));
        durations.Single(m => Equals(m.Tags["tokenaccounting.outcome"], "failure")).Value.ShouldBe(0.25);
        durations.Single(m => Equals(m.Tags["tokenaccounting.outcome"], "success")).Value.ShouldBe(0.04);
    }

    [Fact]
    public async Task BufferedRecords_ObservableGauge_ReportsDetailsHeldUntilDelivered()
    {
        using var meters = new IsolatedMeters();
        var sink = new FakeUsageSink();
        sink.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        await using var recorder = meters.CreateRecorder(
            new TokenAccountingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(1) },
            sinks: sink);

        for (var i = 0; i < 5; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 1));
        }

        await recorder.DrainAggregatorAsync();
        var flush = recorder.FlushAsync();
        meters.BufferedRecords.RecordObservableInstruments();
        sink.Heal();
        await flush;
        meters.BufferedRecords.RecordObservableInstruments();

        meters.BufferedRecords.Instrument.ShouldBeOfType<ObservableGauge<long>>().Unit.ShouldBe("{record}");
        var observed = meters.BufferedRecords.GetMeasurementSnapshot();
        observed.Select(m => m.Value).ShouldBe([5L, 0L]);
        observed.ShouldAllBe(m => m.Tags.Count == 0);
    }

    [Fact]
    public async Task BufferedRecords_TwoRecordersOnOneMeterFactory_OneGaugeSumsBoth()
    {
        using var meters = new IsolatedMeters();
        var sinkA = new FakeUsageSink();
        sinkA.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        var sinkB = new FakeUsageSink();
        sinkB.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        var options = new TokenAccountingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(1) };
        await using var recorderA = meters.CreateRecorder(options, sinks: sinkA);
        await using var recorderB = meters.CreateRecorder(options, sinks: sinkB);

        recorderA.Record(Usage.Chat("gpt-4o", 1, 1));
        recorderA.Record(Usage.Chat("gpt-4o", 1, 1));
        recorderB.Record(Usage.Chat("gpt-4o", 1, 1));
        await recorderA.DrainAggregatorAsync();
        await recorderB.DrainAggregatorAsync();
        var flushA = recorderA.FlushAsync();
        var flushB = recorderB.FlushAsync();
        meters.BufferedRecords.RecordObservableInstruments();
        sinkA.Heal();
        sinkB.Heal();
        await flushA;
        await flushB;

        meters.Published.Instruments.Count(i => i.Name == "tokenaccounting.buffer.records").ShouldBe(1, "one set of instruments per meter factory");
        meters.Published.Instruments.Count(i => i.Name == "gen_ai.client.token.usage").ShouldBe(1);
        meters.BufferedRecords.GetMeasurementSnapshot().ShouldHaveSingleItem().Value.ShouldBe(3L);
        meters.TokenUsage.GetMeasurementSnapshot().Count.ShouldBe(6, "each record measured once, not once per recorder");
    }

    [Fact]
    public void BudgetDenials_BudgetDenied_CountsOneDenialByPolicy()
    {
        using var meters = new IsolatedMeters();
        var metrics = new PipelineMetrics(meters.Factory, includeUserDimensions: false);

        metrics.BudgetDenied("tenant-daily");

        meters.BudgetDenials.Instrument.ShouldBeOfType<Counter<long>>().Unit.ShouldBe("{denial}");
        var denial = meters.BudgetDenials.GetMeasurementSnapshot().ShouldHaveSingleItem();
        denial.Value.ShouldBe(1L);
        denial.Tags.ShouldBe(new Dictionary<string, object?> { ["tokenaccounting.budget.policy"] = "tenant-daily" }, ignoreOrder: true);
    }
}
