namespace TokenAccounting.Tests.Tracking;

/// <summary>
/// The tracker validates a record once, before pairing, and hands it to the pipeline without a second validation; a
/// correlation id it pairs in is checked when noted, so a paired record is valid whenever its input was.
/// </summary>
public sealed class UsageTrackerCorrelationIdTests
{
    [Theory]
    [InlineData('\0')]
    [InlineData('\uD800')]
    public void NoteCorrelationId_InvalidText_ThrowsNamingTheParameter(char bad)
    {
        var tracker = new UsageTracker(new FakeRecorder());
        var id = "abc" + bad;

        Should.Throw<ArgumentException>(() => tracker.NoteCorrelationId(id)).ParamName.ShouldBe("correlationId");
    }

    [Fact]
    public void BeginRequest_CorrelationIdOverTheIdLimit_ThrowsAndOpensNothing()
    {
        var tracker = new UsageTracker(new FakeRecorder());

        Should.Throw<ArgumentException>(() => tracker.BeginRequest(3, new string('x', UsageRecordLimits.MaxIdLength + 1))).ParamName.ShouldBe("correlationId");
        tracker.PendingRequestCount.ShouldBe(0);
    }

    [Fact]
    public async Task RecordUsage_ThroughThePipeline_DeliversThePairedRecordOnce()
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(sink);
        var tracker = new UsageTracker(recorder);
        tracker.NoteRequest(4);
        tracker.NoteCorrelationId("trace-1");

        tracker.RecordUsage("gpt-4o", new TokenCounts(10, 2));
        Should.Throw<ArgumentException>(() => tracker.RecordUsage(new UsageRecord { Model = "gpt-4o\0" })).ParamName.ShouldBe("Model");
        await recorder.FlushAsync();

        var record = sink.Records.ShouldHaveSingleItem();
        record.HistoryLength.ShouldBe(4);
        record.CorrelationId.ShouldBe("trace-1");
        recorder.GetDiagnostics().RecordsAccepted.ShouldBe(1);
    }

    private sealed class FakeRecorder : IUsageRecorder
    {
        public void Record(UsageRecord record) => record.Validate();

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
