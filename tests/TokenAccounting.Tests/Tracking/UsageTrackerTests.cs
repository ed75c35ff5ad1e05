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
        tracker.AbandonedRequestCount.ShouldBe(0);
    }

    [Fact]
    public void Constructor_NullRecorder_ThrowsSoUnpairedUsageIsNeverLost()
    {
        Should.Throw<ArgumentNullException>(() => new UsageTracker(null!)).ParamName.ShouldBe("recorder");
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

    // Was RecordUsage_SeveralRequestsPerRun_PairInOrderTheyWereNoted, which asserted first-in-first-out pairing: the
    // behaviour issue 20 calls wrong (one failed request shifted every later pairing). Usage pairs with the latest.
    [Fact]
    public void NoteRequest_FailedRequestThenSuccess_PairsTheLatestAndCountsTheFailedOneAbandoned()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(5);

        // The call fails (a 429): no usage ever arrives for it.
        tracker.NoteRequest(7);
        tracker.PendingRequestCount.ShouldBe(1);
        tracker.AbandonedRequestCount.ShouldBe(1);

        var record = tracker.RecordUsage("m", new TokenCounts(10, 1));

        record.HistoryLength.ShouldBe(7);
        record.IsUnpaired.ShouldBeFalse();
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(1);
        tracker.Records.ShouldHaveSingleItem().HistoryLength.ShouldBe(7);
    }

    [Fact]
    public void NoteRequest_ReplacingAPendingRequest_KeepsTheNotedCorrelationIdForTheNextRecord()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteCorrelationId("run-1");
        tracker.NoteRequest(2);
        tracker.NoteRequest(4);

        var record = tracker.RecordUsage("m", new TokenCounts(1, 1));

        record.CorrelationId.ShouldBe("run-1");
        record.HistoryLength.ShouldBe(4);
    }

    [Fact]
    public void RecordUsage_SecondUsageForOneRequest_IsForwardedUnpaired()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(3);
        tracker.RecordUsage("m", new TokenCounts(1, 1));

        var second = tracker.RecordUsage("m", new TokenCounts(2, 1));

        second.IsUnpaired.ShouldBeTrue();
        second.HistoryLength.ShouldBeNull();
        tracker.Records.Count.ShouldBe(1);
        _recorder.Records.Count.ShouldBe(2);
        tracker.AbandonedRequestCount.ShouldBe(0);
    }

    [Fact]
    public void RecordUsage_ToolLoopWhereEveryThirdCallFails_PairsEveryUsageWithItsOwnRequest()
    {
        var tracker = new UsageTracker(_recorder);
        var expected = new List<(int HistoryLength, long Input)>();
        var failures = 0;
        for (var turn = 1; turn <= 20; turn++)
        {
            // Each turn sends the whole conversation so far: system + user + one (call, tool result) pair per turn.
            var historyLength = 2 + (2 * (turn - 1));
            tracker.NoteRequest(historyLength);
            tracker.PendingRequestCount.ShouldBe(1, $"turn {turn}");
            if (turn % 3 == 0)
            {
                failures++;
                continue; // a timeout: no usage callback ever fires for this request
            }

            var record = tracker.RecordUsage("m", new TokenCounts(historyLength * 100, 5));
            record.HistoryLength.ShouldBe(historyLength, $"turn {turn}");
            expected.Add((historyLength, historyLength * 100));
            tracker.PendingRequestCount.ShouldBe(0, $"turn {turn}");

            // The failed request before this one is abandoned once the next is noted, never paired.
            tracker.AbandonedRequestCount.ShouldBe(failures, $"turn {turn}");
        }

        tracker.Records.Select(r => (r.HistoryLength!.Value, r.Tokens.Input)).ShouldBe(expected);
        _recorder.Records.ShouldAllBe(r => !r.IsUnpaired);
        _recorder.Records.Count.ShouldBe(14);
        tracker.AbandonedRequestCount.ShouldBe(6);
        tracker.PendingRequestCount.ShouldBe(0);
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
    public void RecordUsage_ParallelCallbackCallers_AccountForEveryRequestAndForwardEveryUsage()
    {
        // The callback form cannot know whose usage arrived under concurrency (use handles for that), but it must
        // still account for every request exactly once and never lose usage.
        var tracker = new UsageTracker(_recorder);
        const int Callers = 8;
        const int PerCaller = 500;
        RunOnThreads(Callers, c =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                tracker.NoteRequest((c * PerCaller) + i);
                tracker.RecordUsage("m", new TokenCounts(1, 1));
            }
        });

        var kept = tracker.Drain();
        var unpaired = _recorder.Records.Count(r => r.IsUnpaired);
        _recorder.Records.Count.ShouldBe(Callers * PerCaller);
        (kept.Count + unpaired).ShouldBe(Callers * PerCaller);
        (kept.Count + tracker.AbandonedRequestCount + tracker.PendingRequestCount).ShouldBe(Callers * PerCaller);
        kept.Select(r => r.HistoryLength!.Value).Distinct().Count().ShouldBe(kept.Count, "no request is paired twice");
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

    [Fact]
    public void BeginRequest_InterleavedRequests_EachHandlePairsWithItsOwnRequest()
    {
        var tracker = new UsageTracker(_recorder);
        using var first = tracker.BeginRequest(3);
        using var second = tracker.BeginRequest(5);
        tracker.NoteRequest(9); // a callback-form request on the same tracker does not disturb the handles
        tracker.PendingRequestCount.ShouldBe(3);

        var secondRecord = second.RecordUsage("m", new TokenCounts(50, 1));
        var firstRecord = first.RecordUsage("m", new TokenCounts(30, 1));

        secondRecord.HistoryLength.ShouldBe(5);
        firstRecord.HistoryLength.ShouldBe(3);
        tracker.PendingRequestCount.ShouldBe(1);
        tracker.RecordUsage("m", new TokenCounts(90, 1)).HistoryLength.ShouldBe(9);
        tracker.Records.Select(r => r.HistoryLength).ShouldBe([5, 3, 9]);
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(0);
        first.IsPending.ShouldBeFalse();
        tracker.LatestOccupancy.ShouldBe(90);
    }

    [Fact]
    public void BeginRequest_DisposedWithoutUsage_WithdrawsTheRequestAndCountsItAbandonedOnce()
    {
        var tracker = new UsageTracker(_recorder);
        var failed = tracker.BeginRequest(4);
        tracker.PendingRequestCount.ShouldBe(1);

        failed.Dispose();
        failed.Dispose();

        failed.IsPending.ShouldBeFalse();
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(1);
        tracker.Records.ShouldBeEmpty();
        _recorder.Records.ShouldBeEmpty();
    }

    [Fact]
    public void BeginRequest_DisposedAfterUsage_IsNotAbandoned()
    {
        var tracker = new UsageTracker(_recorder);
        using (var request = tracker.BeginRequest(4))
        {
            request.RecordUsage("m", new TokenCounts(1, 1));
        }

        tracker.AbandonedRequestCount.ShouldBe(0);
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.Records.ShouldHaveSingleItem().HistoryLength.ShouldBe(4);
    }

    [Fact]
    public void RecordUsage_ThroughHandleNoLongerPending_ForwardsFlaggedUnpairedAndDoesNotKeep()
    {
        var tracker = new UsageTracker(_recorder);
        var withdrawn = tracker.BeginRequest(2, correlationId: "call-7");
        withdrawn.Dispose();
        var used = tracker.BeginRequest(6);
        used.RecordUsage("m", new TokenCounts(1, 1));

        var late = withdrawn.RecordUsage("m", new TokenCounts(2, 1));
        var again = used.RecordUsage("m", new TokenCounts(3, 1));

        late.IsUnpaired.ShouldBeTrue();
        late.HistoryLength.ShouldBeNull();
        late.CorrelationId.ShouldBe("call-7");
        again.IsUnpaired.ShouldBeTrue();
        tracker.Records.ShouldHaveSingleItem().HistoryLength.ShouldBe(6);
        _recorder.Records.Count.ShouldBe(3);
        tracker.AbandonedRequestCount.ShouldBe(1);
        tracker.PendingRequestCount.ShouldBe(0);
    }

    [Fact]
    public void RecordUsage_ThroughHandle_CorrelationIdFromRecordThenRequestThenNoted()
    {
        var tracker = new UsageTracker(_recorder);
        using var own = tracker.BeginRequest(1, correlationId: "request-id");
        using var bare = tracker.BeginRequest(1);
        using var set = tracker.BeginRequest(1, correlationId: "request-id");

        tracker.NoteCorrelationId("noted-1");
        own.RecordUsage("m", new TokenCounts(1, 1)).CorrelationId.ShouldBe("request-id");
        bare.RecordUsage("m", new TokenCounts(1, 1)).CorrelationId.ShouldBeNull("the noted id applied to the record before");
        tracker.NoteCorrelationId("noted-2");
        set.RecordUsage(new UsageRecord { Model = "m", CorrelationId = "record-id" }).CorrelationId.ShouldBe("record-id");
        tracker.NoteRequest(1);
        tracker.RecordUsage("m", new TokenCounts(1, 1)).CorrelationId.ShouldBeNull("a noted id applies to the next record only");
    }

    [Fact]
    public void RecordUsage_ThroughHandleBadRecord_ThrowsAndTheRequestStaysPending()
    {
        var tracker = new UsageTracker(_recorder);
        using var request = tracker.BeginRequest(3);

        Should.Throw<ArgumentException>(() => request.RecordUsage(new UsageRecord { Model = "  " }));

        request.IsPending.ShouldBeTrue();
        tracker.PendingRequestCount.ShouldBe(1);
        _recorder.Records.ShouldBeEmpty();
        request.RecordUsage("m", new TokenCounts(1, 1)).HistoryLength.ShouldBe(3);
    }

    [Fact]
    public void BeginRequest_BadArguments_ThrowNamingTheParameter()
    {
        var tracker = new UsageTracker(_recorder);
        Should.Throw<ArgumentOutOfRangeException>(() => tracker.BeginRequest(-1)).ParamName.ShouldBe("historyLength");
        Should.Throw<ArgumentException>(() => tracker.BeginRequest(1, " ")).ParamName.ShouldBe("correlationId");
        tracker.PendingRequestCount.ShouldBe(0);
    }

    [Fact]
    public void RecordUsage_ConcurrentHandles_PairEveryRequestExactlyAndLeaveNothingPending()
    {
        var tracker = new UsageTracker(_recorder);
        const int Threads = 8;
        const int PerThread = 500;
        var pendingAtCheckpoints = new List<int>();
        using var checkpoint = new Barrier(Threads, _ => pendingAtCheckpoints.Add(tracker.PendingRequestCount));
        RunOnThreads(Threads, t =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                var id = (t * PerThread) + i;
                using var request = tracker.BeginRequest(id);
                if (i % 50 == 0)
                {
                    checkpoint.SignalAndWait(); // every thread holds one open request here
                }

                // Usage carries the id in its input count, so a record paired with another request shows it.
                request.RecordUsage("m", new TokenCounts(id, 1)).HistoryLength.ShouldBe(id);
            }
        });

        var records = tracker.Drain();
        records.Count.ShouldBe(Threads * PerThread);
        records.ShouldAllBe(r => r.HistoryLength == r.Tokens.Input && !r.IsUnpaired);
        records.Select(r => r.HistoryLength!.Value).Order().ShouldBe(Enumerable.Range(0, Threads * PerThread));
        _recorder.Records.Count.ShouldBe(Threads * PerThread);
        pendingAtCheckpoints.ShouldBe(Enumerable.Repeat(Threads, PerThread / 50));
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(0);
    }

    [Fact]
    public void Dispose_ConcurrentHandlesSomeFailing_CountsExactlyTheFailedOnesAbandoned()
    {
        var tracker = new UsageTracker(_recorder);
        const int Threads = 8;
        const int PerThread = 500;
        RunOnThreads(Threads, t =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                var id = (t * PerThread) + i;
                using var request = tracker.BeginRequest(id);
                if (i % 3 != 2)
                {
                    request.RecordUsage("m", new TokenCounts(id, 1));
                }
            }
        });

        var records = tracker.Drain();
        var failedPerThread = PerThread / 3;
        records.Count.ShouldBe(Threads * (PerThread - failedPerThread));
        records.ShouldAllBe(r => r.HistoryLength == r.Tokens.Input && r.HistoryLength % PerThread % 3 != 2);
        tracker.AbandonedRequestCount.ShouldBe(Threads * failedPerThread);
        tracker.PendingRequestCount.ShouldBe(0);
    }

    [Fact]
    public void RecordUsageAndDispose_RacingOnOneHandle_ClosesTheRequestExactlyOnce()
    {
        var tracker = new UsageTracker(_recorder);
        const int Rounds = 500;
        for (var round = 0; round < Rounds; round++)
        {
            var request = tracker.BeginRequest(round);
            RunOnThreads(2, t =>
            {
                if (t == 0)
                {
                    request.RecordUsage("m", new TokenCounts(1, 1));
                }
                else
                {
                    request.Dispose();
                }
            });
        }

        // Each round ends exactly one way: paired (kept) or withdrawn (abandoned, and its usage forwarded unpaired).
        var kept = tracker.Records.Count;
        (kept + tracker.AbandonedRequestCount).ShouldBe(Rounds);
        _recorder.Records.Count(r => r.IsUnpaired).ShouldBe((int)tracker.AbandonedRequestCount);
        _recorder.Records.Count.ShouldBe(Rounds);
        tracker.PendingRequestCount.ShouldBe(0);
    }

    private static void RunOnThreads(int count, Action<int> body)
    {
        // Dedicated threads: a barrier among pool threads on a small machine would wait for the pool to grow.
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try
            {
                body(i);
            }
            catch (Exception exception)
            {
                errors.Enqueue(exception);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (!errors.IsEmpty)
        {
            throw new AggregateException(errors);
        }
    }
}
