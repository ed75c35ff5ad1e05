namespace TokenAccounting.Tests.Tracking;

public sealed class UsageTrackerTests
{
    private readonly CapturingRecorder _recorder = new();

    [Fact]
    public void RecordUsage_AfterNoteRequest_PairsHistoryLength()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(7);

        var record = tracker.RecordUsage("gpt-4o", new TokenCounts(100, 5));

        record.HistoryLength.ShouldBe(7);
        record.IsUnpaired.ShouldBeFalse();
        tracker.Records.ShouldHaveSingleItem().ShouldBeSameAs(record);
        _recorder.Records.ShouldHaveSingleItem().ShouldBeSameAs(record);
        tracker.PendingRequestCount.ShouldBe(0);
    }

    [Fact]
    public void NoteCorrelationId_LandsOnTheNextRecordOnly()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(1);
        tracker.NoteCorrelationId("req-1");
        tracker.RecordUsage("m", new TokenCounts(1, 1)).CorrelationId.ShouldBe("req-1");

        tracker.NoteRequest(2);
        tracker.RecordUsage("m", new TokenCounts(1, 1)).CorrelationId.ShouldBeNull();
    }

    [Fact]
    public void Records_Snapshot_DoesNotClear()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(1);
        tracker.RecordUsage("m", new TokenCounts(1, 1));

        tracker.Records.Count.ShouldBe(1);
        tracker.Records.Count.ShouldBe(1);
    }

    [Fact]
    public void Drain_ReturnsChronologicalRecordsAndClears()
    {
        var tracker = new UsageTracker(_recorder);
        for (var i = 1; i <= 3; i++)
        {
            tracker.NoteRequest(i * 2);
            tracker.RecordUsage("m", new TokenCounts(i * 10, 1));
        }

        var drained = tracker.Drain();

        drained.Select(r => r.HistoryLength).ShouldBe([2, 4, 6]);
        drained.Select(r => r.Tokens.Input).ShouldBe([10L, 20L, 30L]);
        tracker.Records.ShouldBeEmpty();
        tracker.Drain().ShouldBeEmpty();
    }

    [Fact]
    public void RecordUsage_SeveralRequestsPerRun_PairInOrderTheyWereNoted()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(3);
        tracker.NoteRequest(5);

        tracker.RecordUsage("m", new TokenCounts(1, 1)).HistoryLength.ShouldBe(3);
        tracker.RecordUsage("m", new TokenCounts(2, 1)).HistoryLength.ShouldBe(5);
    }

    [Fact]
    public void RecordUsage_NoPendingRequest_ForwardsFlaggedUnpairedAndDoesNotKeep()
    {
        var tracker = new UsageTracker(_recorder);

        var record = tracker.RecordUsage("m", new TokenCounts(40, 2));

        record.IsUnpaired.ShouldBeTrue();
        record.HistoryLength.ShouldBeNull();
        tracker.Records.ShouldBeEmpty();
        _recorder.Records.ShouldHaveSingleItem().IsUnpaired.ShouldBeTrue();
    }

    [Fact]
    public async Task RecordUsage_ParallelCallers_PairEveryRequestExactlyOnce()
    {
        var tracker = new UsageTracker(_recorder);
        const int Callers = 8;
        const int PerCaller = 500;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(() =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                tracker.NoteRequest((c * PerCaller) + i);
                tracker.RecordUsage("m", new TokenCounts(1, 1));
            }
        })));

        var records = tracker.Drain();
        records.Count.ShouldBe(Callers * PerCaller);
        records.Select(r => r.HistoryLength!.Value).Order().ShouldBe(Enumerable.Range(0, Callers * PerCaller));
        _recorder.Records.Count.ShouldBe(Callers * PerCaller);
        _recorder.Records.ShouldAllBe(r => !r.IsUnpaired);
    }

    [Fact]
    public void LatestOccupancy_IsTheInputOfTheLastUsage()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(1);
        tracker.RecordUsage("m", new TokenCounts(1200, 10));
        tracker.NoteRequest(2);
        tracker.RecordUsage("m", new TokenCounts(2500, 10));

        tracker.LatestOccupancy.ShouldBe(2500);
    }

    [Fact]
    public void RecordUsage_BadRecord_ThrowsAndKeepsNothing()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(3);

        Should.Throw<ArgumentException>(() => tracker.RecordUsage(new UsageRecord { Model = "  " }));

        tracker.Records.ShouldBeEmpty();
        _recorder.Records.ShouldBeEmpty();
        tracker.PendingRequestCount.ShouldBe(1, "the pending request still waits for valid usage");
    }

    [Fact]
    public async Task Attach_SetsCurrentForTheFlowAndRestoresOnDispose()
    {
        var tracker = new UsageTracker(_recorder);
        UsageTracker.Current.ShouldBeNull();
        using (tracker.Attach())
        {
            UsageTracker.Current.ShouldBeSameAs(tracker);
            (await Task.Run(() => UsageTracker.Current)).ShouldBeSameAs(tracker);
        }

        UsageTracker.Current.ShouldBeNull();
    }

    [Fact]
    public void NoteRequest_NegativeHistory_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageTracker(_recorder).NoteRequest(-1)).ParamName.ShouldBe("historyLength");
    }
}
