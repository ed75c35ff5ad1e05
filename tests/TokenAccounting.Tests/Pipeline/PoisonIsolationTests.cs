using Microsoft.Extensions.Logging;
using TokenAccounting.Tests.Diagnostics;

namespace TokenAccounting.Tests.Pipeline;

/// <summary>A record or rollup key that a sink can never write is isolated and quarantined; everything else keeps flowing.</summary>
public sealed class PoisonIsolationTests
{
    private static readonly TokenAccountingOptions FastRetries = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(2),
        FlushTimeout = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task SinkRejectsOneRecord_ItIsQuarantinedCountedLoggedAndEverythingElseDelivered()
    {
        using var meters = new IsolatedMeters();
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        var sink = new RejectingSink(batch => batch.Records.Any(r => r.UserId == "mallory") ? new UsageSinkRejectedException("cannot store this user") : null);
        await using var recorder = new UsageRecorder([sink], FastRetries, null, loggerFactory, meters.Factory, pricer: null, observers: null);

        for (var i = 0; i < 50; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 1, userId: i == 17 ? "mallory" : "alice") with { Id = $"r{i}" });
        }

        await recorder.FlushAsync();

        sink.Inner.Records.Count.ShouldBe(49);
        sink.Inner.Records.ShouldNotContain(r => r.UserId == "mallory");
        sink.Inner.Total.RequestCount.ShouldBe(50, "the poison record's rollup went through in a part without its detail");
        var diagnostics = recorder.GetDiagnostics().Sinks.ShouldHaveSingleItem();
        diagnostics.QuarantinedRecords.ShouldBe(1);
        diagnostics.QuarantinedRollups.ShouldBe(0);
        diagnostics.BufferedRecords.ShouldBe(0);
        var quarantined = recorder.GetQuarantine().ShouldHaveSingleItem();
        quarantined.Sink.ShouldBe("RejectingSink");
        quarantined.Record.ShouldNotBeNull().Id.ShouldBe("r17");
        quarantined.Rollup.ShouldBeNull();
        quarantined.Reason.ShouldContain("cannot store this user");
        var metric = meters.Quarantined.GetMeasurementSnapshot().ShouldHaveSingleItem();
        metric.Value.ShouldBe(1L);
        metric.Tags["tokenaccounting.sink"].ShouldBe("RejectingSink");
        metric.Tags["tokenaccounting.kind"].ShouldBe("record");
        var warning = logs.Collector.GetSnapshot().Where(l => l.Id.Id == 1005).ShouldHaveSingleItem("one warning per episode");
        warning.Message.ShouldContain("r17");
        warning.Message.ShouldContain("cannot store this user");
    }

    [Fact]
    public async Task SinkRejectsNamingTheRecordIds_ExactlyThoseAreQuarantinedWithoutBisecting()
    {
        var sink = new RejectingSink(batch =>
        {
            var bad = batch.Records.Where(r => r.Model == "bad").Select(r => r.Id!).ToArray();
            return bad.Length > 0 ? new UsageSinkRejectedException("bad model", null, bad) : null;
        });
        await using var recorder = UsageRecorder.Create(FastRetries, sink);

        for (var i = 0; i < 100; i++)
        {
            recorder.Record(Usage.Chat(i % 25 == 0 ? "bad" : "good", 1, 1) with { Id = $"r{i}" });
        }

        await recorder.FlushAsync();

        sink.Inner.Records.Count.ShouldBe(96);
        recorder.GetQuarantine().Select(q => q.Record!.Id).ShouldBe(["r0", "r25", "r50", "r75"], ignoreOrder: true);
        sink.Attempts.ShouldBe(2, "the sink named the records: one failed attempt, then the rest in one write");
        sink.Inner.Total.RequestCount.ShouldBe(100);
    }

    [Fact]
    public async Task UnclassifiedFailureRepeats_AfterSplitBatchAfterFailuresTheRecordIsIsolatedAndLaterRecordsFlow()
    {
        var sink = new RejectingSink(batch => batch.Records.Any(r => r.Model == "poison") ? new InvalidOperationException("the sink's own error") : null);
        var options = new TokenAccountingOptions { SplitBatchAfterFailures = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(2), FlushTimeout = TimeSpan.FromMinutes(1) };
        await using var recorder = UsageRecorder.Create(options, sink);

        recorder.Record(Usage.Chat("poison", 1, 1) with { Id = "p" });
        for (var i = 0; i < 20; i++)
        {
            recorder.Record(Usage.Chat("good", 1, 1));
        }

        await recorder.FlushAsync();
        recorder.Record(Usage.Chat("after", 5, 5));
        await recorder.FlushAsync();

        sink.Inner.Records.Count.ShouldBe(21);
        sink.Inner.Records.ShouldContain(r => r.Model == "after");
        recorder.GetQuarantine().ShouldHaveSingleItem().Record!.Id.ShouldBe("p");
        sink.Inner.Total.RequestCount.ShouldBe(22);
        recorder.GetDiagnostics().Sinks[0].FailedAttempts.ShouldBeGreaterThanOrEqualTo(3, "it was retried as often as the option says before it was split");
    }

    [Fact]
    public async Task SinkDownWithUnclassifiedErrors_NothingIsQuarantinedAndAllIsDeliveredOnceItHeals()
    {
        var sink = new FakeUsageSink();
        sink.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        var options = new TokenAccountingOptions { SplitBatchAfterFailures = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(2), FlushTimeout = TimeSpan.FromMilliseconds(200) };
        await using var recorder = UsageRecorder.Create(options, sink);

        for (var i = 0; i < 10; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.FlushAsync();
        await sink.WaitForAttemptsAsync(1);
        while (sink.FailureCount < 10)
        {
            await recorder.FlushAsync();
        }

        recorder.GetDiagnostics().Sinks[0].QuarantinedRecords.ShouldBe(0, "every part fails the same way: the sink is down, the data is fine");
        sink.Heal();
        options.FlushTimeout = TimeSpan.FromMinutes(1);
        await recorder.FlushAsync();

        sink.Delivered.Records.Count.ShouldBe(10);
        sink.Delivered.Total.RequestCount.ShouldBe(10);
        recorder.GetQuarantine().ShouldBeEmpty();
    }

    [Fact]
    public async Task TransientErrorsRepeatedOften_AreRetriedWithTheSameBatchIdAndNeverSplit()
    {
        var failures = 0;
        var sink = new RejectingSink(_ => Interlocked.Increment(ref failures) <= 12 ? new IOException("disk full") : null);
        var options = new TokenAccountingOptions { SplitBatchAfterFailures = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(2), FlushTimeout = TimeSpan.FromMinutes(1) };
        await using var recorder = UsageRecorder.Create(options, sink);

        for (var i = 0; i < 10; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.FlushAsync();

        sink.SeenBatchIds.Distinct().ShouldHaveSingleItem();
        sink.SeenBatchIds.Count.ShouldBe(13);
        sink.Inner.Records.Count.ShouldBe(10);
        recorder.GetDiagnostics().Sinks[0].QuarantinedRecords.ShouldBe(0);
    }

    [Fact]
    public async Task RollupKeyRejected_OnlyThatKeyIsQuarantinedAndTheOtherKeysDeltasArrive()
    {
        var sink = new RejectingSink(batch => batch.Rollups.Any(r => r.Key.TenantId == "huge") ? new UsageSinkRejectedException("index row too large") : null);
        await using var recorder = UsageRecorder.Create(FastRetries, sink);

        for (var i = 0; i < 30; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 2, 1, userId: $"u{i % 5}") with { TenantId = i == 7 ? "huge" : "acme" });
        }

        await recorder.FlushAsync();

        var diagnostics = recorder.GetDiagnostics().Sinks[0];
        diagnostics.QuarantinedRollups.ShouldBe(1);
        diagnostics.QuarantinedRecords.ShouldBe(0);
        sink.Inner.Records.Count.ShouldBe(30, "every detail, the one under the bad key included, was written");
        sink.Inner.Total.RequestCount.ShouldBe(29);
        sink.Inner.Rollups.ShouldNotContain(r => r.Key.TenantId == "huge");
        sink.Inner.TotalsByTenant()["acme"].RequestCount.ShouldBe(29);
        var quarantined = recorder.GetQuarantine().ShouldHaveSingleItem();
        quarantined.Rollup.ShouldNotBeNull().Key.TenantId.ShouldBe("huge");
        quarantined.Rollup.RequestCount.ShouldBe(1);
    }

    [Fact]
    public async Task Quarantine_KeepsOnlyTheLastMaxQuarantinedPerSinkButCountsAll()
    {
        var sink = new RejectingSink(batch => batch.Records.Any(r => r.Model == "bad") ? new UsageSinkRejectedException("bad") : null);
        var options = new TokenAccountingOptions { MaxQuarantinedPerSink = 3, FlushTimeout = TimeSpan.FromMinutes(1) };
        await using var recorder = UsageRecorder.Create(options, sink);

        for (var i = 0; i < 8; i++)
        {
            recorder.Record(Usage.Chat("bad", 1, 1) with { Id = $"b{i}" });
            recorder.Record(Usage.Chat("good", 1, 1));
        }

        await recorder.FlushAsync();

        recorder.GetDiagnostics().Sinks[0].QuarantinedRecords.ShouldBe(8);
        recorder.GetQuarantine().Count.ShouldBe(3);
        sink.Inner.Records.Count.ShouldBe(8);
    }

    [Fact]
    public void TokenAccountingOptions_SplitBatchAfterFailuresOutOfRange_FailsNamingTheOption()
    {
        var ex = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() => new UsageRecorder([], new TokenAccountingOptions { SplitBatchAfterFailures = 0 }));
        ex.Message.ShouldContain("SplitBatchAfterFailures");
        new TokenAccountingOptions().SplitBatchAfterFailures.ShouldBe(5);
    }

    /// <summary>Applies batches to an in-memory sink unless <c>reject</c> returns an exception for them.</summary>
    private sealed class RejectingSink(Func<UsageBatch, Exception?> reject) : IUsageSink
    {
        private int _attempts;

        public InMemoryUsageSink Inner { get; } = new();

        public List<string> SeenBatchIds { get; } = [];

        public int Attempts => Volatile.Read(ref _attempts);

        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            lock (SeenBatchIds)
            {
                SeenBatchIds.Add(batch.BatchId);
            }

            if (reject(batch) is { } error)
            {
                throw error;
            }

            return Inner.WriteAsync(batch, cancellationToken);
        }
    }
}
