namespace TokenAccounting.Tests.Pipeline;

public sealed class UsageRecorderTests
{
    [Fact]
    public async Task FlushAsync_AfterRecords_DeliversDetailsAndExactRollups()
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(sink);

        recorder.Record(Usage.Chat("gpt-4o", 100, 10, userId: "alice"));
        recorder.Record(Usage.Chat("gpt-4o", 50, 5, userId: "alice"));
        recorder.Record(Usage.Chat("gpt-4o", 1, 1, userId: "bob"));
        await recorder.FlushAsync();

        sink.Records.Count.ShouldBe(3);
        sink.TotalsByUser()["alice"].ShouldBe(new UsageSummary(new TokenCounts(150, 15), 2, Cost: null, UnpricedRequestCount: 2));
        sink.TotalsByUser()["bob"].RequestCount.ShouldBe(1);
        sink.Total.Tokens.ShouldBe(new TokenCounts(151, 16));
    }

    [Fact]
    public async Task Record_WithoutIdOrCompletedAt_StampsBothFromTheTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 23, 59, 0, TimeSpan.Zero));
        var sink = new InMemoryUsageSink();
        await using var recorder = new UsageRecorder([sink], timeProvider: time);

        recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        await recorder.FlushAsync();

        var record = sink.Records.ShouldHaveSingleItem();
        record.Id.ShouldNotBeNullOrWhiteSpace();
        record.CompletedAt.ShouldBe(time.GetUtcNow());
        sink.Rollups.ShouldHaveSingleItem().Key.Date.ShouldBe(new DateOnly(2026, 3, 1));
    }

    [Fact]
    public async Task Record_OwnIdAndCompletedAt_AreKept()
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(sink);
        var completed = new DateTimeOffset(2025, 12, 31, 23, 30, 0, TimeSpan.FromHours(-5));

        recorder.Record(Usage.Chat("gpt-4o", 1, 1) with { Id = "my-id", CompletedAt = completed });
        await recorder.FlushAsync();

        var record = sink.Records.ShouldHaveSingleItem();
        record.Id.ShouldBe("my-id");
        record.CompletedAt.ShouldBe(completed);
        sink.Rollups.ShouldHaveSingleItem().Key.Date.ShouldBe(new DateOnly(2026, 1, 1), "rollup dates are the UTC date of completion");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Record_Text_ReachesSinksOnlyWhenCaptureIsOn(bool capture)
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(new TokenAccountingOptions { CaptureText = capture }, sink);

        recorder.Record(Usage.Chat("gpt-4o", 1, 1) with { Text = "secret prompt" });
        await recorder.FlushAsync();

        sink.Records.ShouldHaveSingleItem().Text.ShouldBe(capture ? "secret prompt" : null);
    }

    [Fact]
    public async Task Record_ReachingMaxBatchSize_FlushesWithoutFlushAsync()
    {
        var sink = new FakeUsageSink();
        await using var recorder = UsageRecorder.Create(new TokenAccountingOptions { MaxBatchSize = 10, FlushInterval = TimeSpan.FromHours(1) }, sink);

        for (var i = 0; i < 10; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        }

        await sink.WaitForRecordsAsync(10).WaitAsync(TimeSpan.FromSeconds(30));
        sink.Delivered.Records.Count.ShouldBe(10);
    }

    [Fact]
    public async Task Record_NullOrInvalid_ThrowsNamingTheField()
    {
        await using var recorder = UsageRecorder.Create(new InMemoryUsageSink());

        Should.Throw<ArgumentNullException>(() => recorder.Record(null!)).ParamName.ShouldBe("record");
        Should.Throw<ArgumentException>(() => recorder.Record(new UsageRecord { Model = "" })).Message.ShouldContain("Model");
        Should.Throw<ArgumentException>(() => recorder.Record(Usage.Chat("m", 1, 1) with { HistoryLength = -1 })).ParamName.ShouldBe("HistoryLength");
        var started = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Should.Throw<ArgumentException>(() => recorder.Record(Usage.Chat("m", 1, 1) with { StartedAt = started, CompletedAt = started.AddSeconds(-1) })).ParamName.ShouldBe("CompletedAt");
        recorder.GetDiagnostics().RecordsAccepted.ShouldBe(0, "nothing is partially recorded");
    }

    [Fact]
    public async Task Record_AfterDispose_IsCountedNotThrownAndNotDelivered()
    {
        var sink = new InMemoryUsageSink();
        var recorder = UsageRecorder.Create(sink);
        recorder.Record(Usage.Chat("m", 1, 1));
        await recorder.DisposeAsync();

        Should.NotThrow(() => recorder.Record(Usage.Chat("m", 2, 2)));

        sink.Records.Count.ShouldBe(1, "disposal flushed the first record");
        recorder.GetDiagnostics().RecordsRejectedAfterDispose.ShouldBe(1);
    }

    [Fact]
    public async Task DisposeAsync_PendingRecords_AreFlushed()
    {
        var sink = new InMemoryUsageSink();
        var recorder = UsageRecorder.Create(new TokenAccountingOptions { FlushInterval = TimeSpan.FromHours(1) }, sink);
        for (var i = 0; i < 25; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await recorder.DisposeAsync();

        sink.Records.Count.ShouldBe(25);
        sink.Total.RequestCount.ShouldBe(25);
    }

    [Fact]
    public async Task FailingSink_RetriesTheSameBatchIdUntilItSucceeds()
    {
        var sink = new FakeUsageSink();
        sink.FailNext(3, (_, _) => new TimeoutException("injected"));
        await using var recorder = UsageRecorder.Create(
            new TokenAccountingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(2) },
            sink);

        recorder.Record(Usage.Chat("m", 3, 1));
        await recorder.FlushAsync();

        sink.Attempts.Count.ShouldBe(4);
        sink.Attempts.Select(b => b.BatchId).Distinct().ShouldHaveSingleItem("a retried batch keeps its id");
        sink.Delivered.Records.Count.ShouldBe(1);
        var diagnostics = recorder.GetDiagnostics().Sinks.ShouldHaveSingleItem();
        diagnostics.FailedAttempts.ShouldBe(3);
        diagnostics.DeliveredRecords.ShouldBe(1);
    }

    [Fact]
    public async Task FailingSink_NeverThrowsIntoRecordAndNeverBlocksAnotherSink()
    {
        var broken = new FakeUsageSink();
        broken.FailAlways((_, _) => new InvalidOperationException("The sink is down."));
        var healthy = new FakeUsageSink();
        await using var recorder = UsageRecorder.Create(
            new TokenAccountingOptions { FlushInterval = TimeSpan.FromMilliseconds(1), RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(5) },
            broken,
            healthy);

        for (var i = 0; i < 100; i++)
        {
            Should.NotThrow(() => recorder.Record(Usage.Chat("m", 1, 1)));
        }

        await healthy.WaitForRecordsAsync(100).WaitAsync(TimeSpan.FromSeconds(30));
        await broken.WaitForAttemptsAsync(1).WaitAsync(TimeSpan.FromSeconds(30));

        healthy.Delivered.Records.Count.ShouldBe(100);
        healthy.Delivered.BatchCount.ShouldBe(healthy.AttemptCount, "the healthy sink got each batch once, whatever the broken sink did");
        var diagnostics = recorder.GetDiagnostics();
        diagnostics.Sink("FakeUsageSink")!.BufferedRecords.ShouldBe(100);
        diagnostics.Sink("FakeUsageSink")!.FailedAttempts.ShouldBeGreaterThan(0);

        broken.Heal();
        await recorder.FlushAsync();
        broken.Delivered.Records.Count.ShouldBe(100);
        broken.Delivered.Total.RequestCount.ShouldBe(100);
    }

    [Fact]
    public async Task HungSink_RecordKeepsReturningAndOtherSinksKeepReceiving()
    {
        var hung = new FakeUsageSink();
        hung.Hang(ignoreCancellation: true);
        var healthy = new FakeUsageSink();
        var recorder = UsageRecorder.Create(
            new TokenAccountingOptions { MaxBatchSize = 100, SinkTimeout = TimeSpan.FromMilliseconds(50), RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(5), ShutdownTimeout = TimeSpan.FromMilliseconds(100) },
            hung,
            healthy);

        recorder.Record(Usage.Chat("m", 1, 1));
        await hung.WaitForAttemptsAsync(1).WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 1; i < 2000; i++)
        {
            recorder.Record(Usage.Chat("m", 1, 1));
        }

        await healthy.WaitForRecordsAsync(2000).WaitAsync(TimeSpan.FromSeconds(30));
        healthy.Delivered.Records.Count.ShouldBe(2000);
        recorder.GetDiagnostics().Sink("FakeUsageSink")!.DeliveredRecords.ShouldBe(0);

        hung.Release();
        await recorder.DisposeAsync();
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheOption()
    {
        var ex = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            new UsageRecorder([], new TokenAccountingOptions { MaxBatchSize = 5000, MaxBufferedRecords = 100 }));
        ex.Message.ShouldContain("MaxBufferedRecords");
    }

}
