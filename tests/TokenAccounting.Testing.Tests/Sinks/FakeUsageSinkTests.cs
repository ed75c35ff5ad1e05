namespace TokenAccounting.Testing.Tests.Sinks;

public sealed class FakeUsageSinkTests
{
    [Fact]
    public async Task WriteAsync_FailNext_FailsThatManyWritesThenDeliversEachBatchOnce()
    {
        var sink = new FakeUsageSink();
        sink.FailNext(2);
        var batch = Batch("b-1", 3);

        (await Should.ThrowAsync<IOException>(() => sink.WriteAsync(batch, default).AsTask())).Message.ShouldBe("FakeUsageSink: injected failure of batch b-1 (attempt 1).");
        await Should.ThrowAsync<IOException>(() => sink.WriteAsync(batch, default).AsTask());
        await sink.WriteAsync(batch, default);
        await sink.WriteAsync(batch, default);

        sink.AttemptCount.ShouldBe(4);
        sink.FailureCount.ShouldBe(2);
        sink.Delivered.Records.Count.ShouldBe(3);
        sink.Delivered.BatchCount.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_FailEvery_FailsTheSameAttemptsEveryRun()
    {
        var failed = new List<int>();
        var sink = new FakeUsageSink();
        sink.FailEvery(3, (b, attempt) => new InvalidDataException($"permanent {attempt}"));

        for (var i = 1; i <= 9; i++)
        {
            try
            {
                await sink.WriteAsync(Batch($"b-{i}", 1), default);
            }
            catch (InvalidDataException)
            {
                failed.Add(i);
            }
        }

        failed.ShouldBe([3, 6, 9]);
        sink.Delivered.BatchCount.ShouldBe(6);
    }

    [Fact]
    public async Task WriteAsync_FailWithProbability_FailsTheSameAttemptsForTheSameSeed()
    {
        async Task<List<int>> FailedAttempts(int seed)
        {
            var sink = new FakeUsageSink();
            sink.FailWithProbability(0.5, seed);
            var failed = new List<int>();
            for (var i = 1; i <= 40; i++)
            {
                try
                {
                    await sink.WriteAsync(Batch($"b-{i}", 1), default);
                }
                catch (IOException)
                {
                    failed.Add(i);
                }
            }

            return failed;
        }

        var first = await FailedAttempts(7);

        (await FailedAttempts(7)).ShouldBe(first);
        first.Count.ShouldBeInRange(5, 35);
    }

    [Fact]
    public async Task WriteAsync_FailAlwaysThenHeal_FailsUntilHealed()
    {
        var sink = new FakeUsageSink();
        sink.FailAlways();

        await Should.ThrowAsync<IOException>(() => sink.WriteAsync(Batch("a", 1), default).AsTask());
        await Should.ThrowAsync<IOException>(() => sink.WriteAsync(Batch("a", 1), default).AsTask());
        sink.Heal();
        await sink.WriteAsync(Batch("a", 1), default);

        sink.Delivered.Records.Count.ShouldBe(1);
        sink.Attempts.Select(b => b.BatchId).ShouldBe(["a", "a", "a"]);
    }

    [Fact]
    public async Task WriteAsync_Hang_WaitsUntilReleasedAndHonoursCancellation()
    {
        var sink = new FakeUsageSink();
        sink.Hang();
        using var cancel = new CancellationTokenSource();

        var hung = sink.WriteAsync(Batch("a", 1), default).AsTask();
        var cancelled = sink.WriteAsync(Batch("b", 1), cancel.Token).AsTask();
        await sink.WaitForAttemptsAsync(2);
        hung.IsCompleted.ShouldBeFalse();
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => cancelled);
        sink.Release();
        await hung;

        sink.Delivered.Records.Count.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_HangIgnoringCancellation_StaysHungWhenCancelled()
    {
        var sink = new FakeUsageSink();
        sink.Hang(ignoreCancellation: true);
        using var cancel = new CancellationTokenSource();

        var hung = sink.WriteAsync(Batch("a", 1), cancel.Token).AsTask();
        await cancel.CancelAsync();
        hung.IsCompleted.ShouldBeFalse();
        sink.Heal();
        await hung;

        sink.Delivered.Records.Count.ShouldBe(1);
    }

    [Fact]
    public async Task WaitForRecordsAsync_RecorderDeliversThroughThePipeline_CompletesWhenAllArrived()
    {
        var sink = new FakeUsageSink();
        await using var recorder = new UsageRecorder([sink]);
        var arrived = sink.WaitForRecordsAsync(3);

        for (var i = 0; i < 3; i++)
        {
            recorder.Record(new UsageRecord { Model = "gpt-4o", Tokens = new TokenCounts(1, 1) });
        }

        await recorder.FlushAsync();
        await arrived;
        sink.Delivered.Total.RequestCount.ShouldBe(3);
    }

    private static UsageBatch Batch(string id, int records) =>
        new(id, Enumerable.Range(0, records).Select(i => new UsageRecord { Id = $"{id}-{i}", Model = "gpt-4o", Tokens = new TokenCounts(1, 1) }).ToArray(), []);
}
