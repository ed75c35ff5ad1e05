using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace TokenAccounting.Tests.Pipeline;

/// <summary>No record, sum, slow stage or disposal race can crash the process, stall a caller or lose a record uncounted.</summary>
public sealed class PipelineHardeningTests
{
    private static readonly AsyncLocal<string?> RequestValue = new();

    [Fact]
    public async Task Record_TwoHalfMaxInputsUnderOneKey_RollupSaturatesAndTheAggregatorLivesOn()
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(sink);
        var half = (long.MaxValue / 2) + 1;

        recorder.Record(new UsageRecord { Model = "m", Tokens = new TokenCounts(half, 0) });
        recorder.Record(new UsageRecord { Model = "m", Tokens = new TokenCounts(half, 0) });
        await recorder.FlushAsync();
        recorder.Record(new UsageRecord { Model = "after", Tokens = new TokenCounts(1, 1) });
        await recorder.FlushAsync();

        var rollup = sink.Rollups.Single(r => r.Key.Model == "m");
        rollup.Tokens.Input.ShouldBe(long.MaxValue, "saturated, never wrapped negative");
        rollup.RequestCount.ShouldBe(2);
        sink.Records.Count.ShouldBe(3, "the aggregator survived and delivered what came after");
        recorder.GetDiagnostics().StageFailures.ShouldBeGreaterThan(0, "the saturation is counted");
    }

    [Fact]
    public async Task Record_QueueFullWithHalfMaxInputs_NeverThrowsToTheCaller()
    {
        var sink = new InMemoryUsageSink();
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions { QueueCapacity = 64 }, null, null, null, pricer: _ =>
        {
            entered.TrySetResult();
            gate.Wait();
            return null;
        }, observers: null);
        var half = (long.MaxValue / 2) + 1;

        recorder.Record(new UsageRecord { Model = "m", Tokens = new TokenCounts(half, 0) });
        await entered.Task;
        for (var i = 0; i < 200; i++)
        {
            Should.NotThrow(() => recorder.Record(new UsageRecord { Model = "m", Tokens = new TokenCounts(half, 0) }));
        }

        gate.Set();
        await recorder.FlushAsync();

        recorder.GetDiagnostics().RecordsFoldedOnQueueFull.ShouldBeGreaterThan(0);
        sink.Rollups.ShouldHaveSingleItem().RequestCount.ShouldBe(201);
        sink.Total.Tokens.Input.ShouldBe(long.MaxValue);
    }

    [Fact]
    public async Task Record_SlowPriceCatalogAndFullQueue_CallersNeverWaitAndFlushAsyncHonoursFlushTimeout()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var sink = new InMemoryUsageSink();
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions { QueueCapacity = 64, FlushTimeout = TimeSpan.FromSeconds(1) }, time, null, null, pricer: _ =>
        {
            entered.TrySetResult();
            gate.Wait();
            return null;
        }, observers: null);

        recorder.Record(Usage.Chat("m", 1, 1));
        await entered.Task;

        // The aggregator is stuck in the catalog. 500 more calls must return anyway, on this thread, with the gate still shut.
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                recorder.Record(Usage.Chat("m", 1, 1));
            }
        });
        await producer.WaitAsync(TimeSpan.FromSeconds(30));
        gate.IsSet.ShouldBeFalse();
        recorder.GetDiagnostics().RecordsFoldedOnQueueFull.ShouldBeGreaterThan(0);

        var flush = recorder.FlushAsync().AsTask();
        flush.IsCompleted.ShouldBeFalse("the aggregator has not handed anything on yet");
        time.Advance(TimeSpan.FromSeconds(1));
        await flush.WaitAsync(TimeSpan.FromSeconds(30));
        gate.IsSet.ShouldBeFalse("FlushAsync returned on its timeout, not because the catalog let go");

        gate.Set();
        await recorder.FlushAsync();
        sink.Total.RequestCount.ShouldBe(501, "rollups stay exact: the overflowed records were rolled up by the aggregator");
        sink.Records.Count.ShouldBe((int)(501 - recorder.GetDiagnostics().RecordsFoldedOnQueueFull));
    }

    [Fact]
    public async Task DisposeAsync_RacingWithRecord_AcceptedEqualsDeliveredDroppedRejectedQuarantinedExactly()
    {
        const int Producers = 4;
        const int PerProducer = 40_000;
        var sink = new InMemoryUsageSink();
        var recorder = UsageRecorder.Create(new TokenAccountingOptions { QueueCapacity = 256, MaxBufferedRecords = 1_000_000 }, sink);
        var started = new CountdownEvent(Producers);

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                recorder.Record(Usage.Chat("m", 1, 1));
                if (i == 1000)
                {
                    started.Signal();
                }
            }
        })).ToArray();
        started.Wait(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        await recorder.DisposeAsync();
        await Task.WhenAll(producers);

        var diagnostics = recorder.GetDiagnostics();
        var s = diagnostics.Sinks.ShouldHaveSingleItem();
        const long Calls = Producers * PerProducer;
        diagnostics.RecordsAccepted.ShouldBe(Calls);
        (s.DeliveredRecords + s.DroppedRecords + diagnostics.RecordsRejectedAfterDispose + s.QuarantinedRecords + s.BufferedRecords + diagnostics.QueueLength).ShouldBe(Calls);
        diagnostics.RecordsRejectedAfterDispose.ShouldBeGreaterThan(0, "the producers outlived the recorder");
        s.BufferedRecords.ShouldBe(0, "disposal delivered everything accepted before it closed the queues");
        diagnostics.QueueLength.ShouldBe(0);
        sink.Total.RequestCount.ShouldBe(Calls - diagnostics.RecordsRejectedAfterDispose, "every accepted record is in the rollups");
        sink.Records.Count.ShouldBe((int)s.DeliveredRecords);
    }

    [Fact]
    public async Task Record_RecorderCreatedInsideARequest_StagesAndSinksSeeNoActivityOrAsyncLocalOfThatRequest()
    {
        using var source = new ActivitySource("TokenAccounting.Tests.Request");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var sink = new ContextCapturingSink();
        string? seenByPricer = "not called";

        UsageRecorder recorder;
        using (var request = source.StartActivity("request"))
        {
            request.ShouldNotBeNull();
            RequestValue.Value = "request-1";

            // Built lazily inside the first request, as DI does.
            recorder = new UsageRecorder([sink], new TokenAccountingOptions(), null, null, null, pricer: _ =>
            {
                seenByPricer = RequestValue.Value;
                return null;
            }, observers: null);
            recorder.Record(Usage.Chat("m", 1, 1));
            await recorder.FlushAsync();
            RequestValue.Value = null;
        }

        await using (recorder)
        {
            sink.Writes.ShouldBeGreaterThan(0);
            sink.SawActivity.ShouldBeFalse("a sink write must not run under the request's Activity");
            sink.SawRequestValue.ShouldBeFalse("nor see its AsyncLocals");
            seenByPricer.ShouldBeNull("the aggregator does not run under the request's context either");
        }
    }

    [Fact]
    public async Task SinkWriteAbandonedAfterSinkTimeout_FailingLater_RaisesNoUnobservedTaskException()
    {
        var marker = "abandoned-" + Guid.NewGuid().ToString("N");
        var unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message == marker))
            {
                Interlocked.Increment(ref unobserved);
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            var time = new SignallingTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
            var sink = new AbandonedThenFaultingSink(marker);
            await using (var recorder = new UsageRecorder([sink], new TokenAccountingOptions { SinkTimeout = TimeSpan.FromSeconds(5), FlushTimeout = TimeSpan.FromHours(1) }, time))
            {
                recorder.Record(Usage.Chat("m", 1, 1));
                var flush = recorder.FlushAsync().AsTask();
                await sink.FirstEntered.WaitAsync(TimeSpan.FromSeconds(30));

                // The worker arms the write's timeout (its token and the wait that abandons a sink ignoring it) around
                // the call that just entered; advancing before both are on the clock would leave the wait waiting for
                // time that never comes (this hung the test host).
                await time.WhenTimersScheduledAsync(TimeSpan.FromSeconds(5), count: 2).WaitAsync(TimeSpan.FromSeconds(30));
                time.Advance(TimeSpan.FromSeconds(5));
                await flush.WaitAsync(TimeSpan.FromSeconds(30));
                sink.Delivered.ShouldBe(1, "the retry after the timeout delivered");
                sink.FailAbandonedWrite();
                await sink.AbandonedFailed.WaitAsync(TimeSpan.FromSeconds(30));
            }

            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            unobserved.ShouldBe(0);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    [Fact]
    public async Task Record_StageThrowsOnEveryRecord_CountedEveryTimeLoggedOncePerEpisode()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        var sink = new InMemoryUsageSink();
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions(), null, loggerFactory, null, pricer: _ => throw new OverflowException("catalog overflow"), observers: null);

        for (var i = 0; i < 20; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.FlushAsync();

        recorder.GetDiagnostics().StageFailures.ShouldBe(20);
        sink.Records.Count.ShouldBe(20);
        logs.Collector.GetSnapshot().Count(l => l.Id.Id == 1010).ShouldBe(1);
    }

    [Fact]
    public async Task Record_UnknownModel_WarnsOncePerProviderAndModel()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        var sink = new InMemoryUsageSink();
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions(), null, loggerFactory, null, pricer: r => r.Model == "known" ? new UsageCost(1m, 0, 0, 0, 0) : null, observers: null);

        recorder.Record(Usage.Chat("mystery", 1, 1));
        recorder.Record(Usage.Chat("mystery", 1, 1));
        recorder.Record(Usage.Chat("known", 1, 1));
        recorder.Record(Usage.Chat("mystery", 1, 1) with { Provider = "anthropic" });
        await recorder.FlushAsync();

        var warnings = logs.Collector.GetSnapshot().Where(l => l.Id.Id == 1015).ToList();
        warnings.Count.ShouldBe(2);
        warnings.Select(w => (w.GetStructuredStateValue("Provider"), w.GetStructuredStateValue("Model"))).ShouldBe([("openai", "mystery"), ("anthropic", "mystery")], ignoreOrder: true);
    }

    [Fact]
    public async Task SustainedOverflow_WarnsOnceUntilTheBufferHasDrainedWellBelowItsCap()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        using var sink = new GatedSink();
        await using var recorder = new UsageRecorder([sink], new TokenAccountingOptions { MaxBatchSize = 10, MaxBufferedRecords = 30, FlushTimeout = TimeSpan.FromMinutes(1) }, null, loggerFactory, null, pricer: null, observers: null);

        for (var i = 0; i < 60; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.DrainAggregatorAsync();
        await sink.WaitForWriteAsync(1);

        // One batch goes through; the buffer (20) stays above half its cap, and the overload goes on.
        sink.ReleaseOne();
        await sink.WaitForWriteAsync(2);
        for (var i = 0; i < 40; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.DrainAggregatorAsync();
        logs.Collector.GetSnapshot().Count(l => l.Id.Id == 1001).ShouldBe(1, "one overflow episode, one warning");

        sink.ReleaseAll();
        await recorder.FlushAsync();
        logs.Collector.GetSnapshot().Count(l => l.Id.Id == 1006).ShouldBe(1, "the episode ended once the sink caught up");
        recorder.GetDiagnostics().Sinks[0].DroppedOnBufferFull.ShouldBe(60);
        sink.Inner.Total.RequestCount.ShouldBe(100);
    }

    private sealed class ContextCapturingSink : IUsageSink
    {
        private int _writes;

        public int Writes => Volatile.Read(ref _writes);

        public bool SawActivity { get; private set; }

        public bool SawRequestValue { get; private set; }

        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _writes);
            SawActivity |= Activity.Current is not null;
            SawRequestValue |= RequestValue.Value is not null;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The first write ignores its token and hangs until told to fail; later writes succeed.</summary>
    private sealed class AbandonedThenFaultingSink(string marker) : IUsageSink
    {
        private readonly TaskCompletionSource _firstEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _fail = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        private int _delivered;

        public Task FirstEntered => _firstEntered.Task;

        public Task AbandonedFailed => _failed.Task;

        public int Delivered => Volatile.Read(ref _delivered);

        public void FailAbandonedWrite() => _fail.TrySetResult();

        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                return HangThenFailAsync();
            }

            Interlocked.Add(ref _delivered, batch.Records.Count);
            return ValueTask.CompletedTask;
        }

        private async ValueTask HangThenFailAsync()
        {
            _firstEntered.TrySetResult();
            await _fail.Task.ConfigureAwait(false);
            _failed.TrySetResult();
            throw new InvalidOperationException(marker);
        }
    }

    /// <summary>Each write waits until released; <see cref="WaitForWriteAsync"/> waits until the n-th write has started.</summary>
    private sealed class GatedSink : IUsageSink, IDisposable
    {
        private readonly SemaphoreSlim _release = new(0);
        private readonly SemaphoreSlim _started = new(0);
        private int _startedCount;
        private volatile bool _open;

        public InMemoryUsageSink Inner { get; } = new();

        public void ReleaseOne() => _release.Release();

        public void Dispose()
        {
            _release.Dispose();
            _started.Dispose();
        }

        public void ReleaseAll()
        {
            _open = true;
            _release.Release(1000);
        }

        public async Task WaitForWriteAsync(int n)
        {
            while (Volatile.Read(ref _startedCount) < n)
            {
                await _started.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _startedCount);
            _started.Release();
            if (!_open)
            {
                await _release.WaitAsync(CancellationToken.None);
            }

            await Inner.WriteAsync(batch, cancellationToken);
        }
    }
}
