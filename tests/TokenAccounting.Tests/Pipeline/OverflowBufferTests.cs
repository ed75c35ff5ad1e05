namespace TokenAccounting.Tests.Pipeline;

/// <summary>
/// The overflow buffer behind a full ingest queue: lock-free pushes from many producers, one consumer, oldest first,
/// counts exact, segments reused rather than allocated per burst, and closing it leaves nothing pushed behind.
/// </summary>
public sealed class OverflowBufferTests
{
    private static readonly UsageRecord Shape = new() { Model = "gpt-4o", Tokens = new TokenCounts(1, 1) };

    [Fact]
    public void Take_OneProducer_ReturnsEveryItemOldestFirstAcrossSegments()
    {
        var buffer = new OverflowBuffer();
        var pushed = (OverflowBuffer.SegmentSize * 3) + 17;
        for (var i = 0; i < pushed; i++)
        {
            buffer.TryPush(Item((ulong)i)).ShouldBeTrue();
        }

        buffer.Count.ShouldBe(pushed);
        var taken = TakeAll(buffer);

        taken.Select(t => t.OpenScopeMask).ShouldBe(Enumerable.Range(0, pushed).Select(i => (ulong)i));
        buffer.Count.ShouldBe(0);
    }

    [Fact]
    public async Task TryPush_ConcurrentProducersWhileTheConsumerTakes_EveryItemOnceAndCountsExact()
    {
        var buffer = new OverflowBuffer();
        const int Producers = 4;
        const int PerProducer = 50_000;
        using var start = new Barrier(Producers + 1);
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerProducer; i++)
                {
                    buffer.TryPush(Item(((ulong)p << 32) | (uint)i)).ShouldBeTrue();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        start.SignalAndWait();
        var seen = new List<IngestItem>(Producers * PerProducer);
        var chunk = new IngestItem[256];
        while (!producers.All(p => p.IsCompleted) || buffer.Count > 0)
        {
            var count = buffer.Take(chunk);
            seen.AddRange(chunk.AsSpan(0, count).ToArray());
            buffer.Processed(count);
            if (count == 0)
            {
                Thread.Yield();
            }
        }

        await Task.WhenAll(producers);
        seen.AddRange(TakeAll(buffer));

        seen.Count.ShouldBe(Producers * PerProducer);
        buffer.Count.ShouldBe(0);
        for (var p = 0; p < Producers; p++)
        {
            // Each producer's items arrive once each, in the order it pushed them.
            seen.Where(s => (s.OpenScopeMask >> 32) == (ulong)p).Select(s => (int)(uint)s.OpenScopeMask)
                .ShouldBe(Enumerable.Range(0, PerProducer));
        }
    }

    [Fact]
    public void TryPush_RepeatedBurstsTakenBetween_ReusesItsSegments()
    {
        var buffer = new OverflowBuffer();
        for (var burst = 0; burst < 50; burst++)
        {
            for (var i = 0; i < OverflowBuffer.SegmentSize * 4; i++)
            {
                buffer.TryPush(Item((ulong)i)).ShouldBeTrue();
            }

            TakeAll(buffer).Count.ShouldBe(OverflowBuffer.SegmentSize * 4);
        }

        // Fifty bursts of four segments each: the segments emptied by one burst carry the next.
        buffer.SegmentsAllocated.ShouldBeLessThanOrEqualTo(6);
    }

    [Fact]
    public void Close_AfterPushes_LaterPushesFailAndEverythingPushedIsTaken()
    {
        var buffer = new OverflowBuffer();
        for (var i = 0; i < OverflowBuffer.SegmentSize + 5; i++)
        {
            buffer.TryPush(Item((ulong)i)).ShouldBeTrue();
        }

        buffer.Close();

        buffer.TryPush(Item(ulong.MaxValue)).ShouldBeFalse();
        TakeAll(buffer).Count.ShouldBe(OverflowBuffer.SegmentSize + 5);
        buffer.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Close_WhileProducersPush_EverySuccessfulPushIsTakenAndNoOther()
    {
        var buffer = new OverflowBuffer();
        const int Producers = 3;
        using var started = new CountdownEvent(Producers);
        var succeeded = new long[Producers];
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Factory.StartNew(
            () =>
            {
                started.Signal();
                for (var i = 0; ; i++)
                {
                    if (!buffer.TryPush(Item((ulong)i)))
                    {
                        return;
                    }

                    succeeded[p]++;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        started.Wait();
        var spin = default(SpinWait);
        while (buffer.Count < 20_000)
        {
            spin.SpinOnce();
        }

        buffer.Close();
        var taken = TakeAll(buffer).Count;
        await Task.WhenAll(producers);

        taken.ShouldBe((int)succeeded.Sum());
        buffer.Count.ShouldBe(0);
    }

    private static IngestItem Item(ulong sequence) => new(Shape, null, sequence, DateTimeOffset.UnixEpoch);

    private static List<IngestItem> TakeAll(OverflowBuffer buffer)
    {
        var all = new List<IngestItem>();
        var chunk = new IngestItem[256];
        int count;
        while ((count = buffer.Take(chunk)) > 0)
        {
            all.AddRange(chunk.AsSpan(0, count).ToArray());
            buffer.Processed(count);
        }

        return all;
    }
}
