using System.Reflection;

namespace TokenAccounting.Tests.Scopes;

/// <summary>
/// The bucket adds through the owned set of counters (plain stores) from the thread that added first, through the
/// exclusive set (one compare-and-swap, plain stores) from another thread when it is free, and through the shared set
/// (an atomic add per counter) when another writer holds it; a snapshot sums all three. Every add counts exactly once, at once.
/// </summary>
public sealed class UsageTotalsBucketTests
{
    private static readonly TokenCounts Shape = new(
        input: 100, output: 40, cachedInput: 30, cacheWriteInput: 20, cacheWriteLongTtlInput: 5, reasoning: 10, inputAudio: 12, cachedInputAudio: 3, outputAudio: 6);

    [Fact]
    public void Add_FromTheOwnerAnotherThreadAndAThreadFindingTheExclusiveSetHeld_SnapshotSumsAllThree()
    {
        var bucket = new UsageTotalsBucket(UsageOperation.Chat, "gpt-4o");
        var held = typeof(UsageTotalsBucket).GetField("_exclusiveHeld", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var owner = typeof(UsageTotalsBucket).GetField("_owner", BindingFlags.Instance | BindingFlags.NonPublic)!;

        bucket.Add(Shape);
        ((int)owner.GetValue(bucket)!).ShouldBe(Environment.CurrentManagedThreadId, "the first writer owns the plain set");
        bucket.Add(Shape);
        OnOtherThread(() => bucket.Add(new TokenCounts(1, 1)));
        held.SetValue(bucket, 1);
        OnOtherThread(() => bucket.Add(Shape));

        var whileHeld = bucket.Snapshot();
        whileHeld.RequestCount.ShouldBe(4);
        whileHeld.Tokens.ShouldBe(Shape + Shape + new TokenCounts(1, 1) + Shape);

        held.SetValue(bucket, 0);
        OnOtherThread(() => bucket.Add(Shape));
        bucket.Add(Shape);

        var snapshot = bucket.Snapshot();
        snapshot.RequestCount.ShouldBe(6);
        snapshot.Tokens.ShouldBe(Shape + Shape + Shape + Shape + Shape + new TokenCounts(1, 1));
        ((int)held.GetValue(bucket)!).ShouldBe(0, "the exclusive counters are released after each add");
    }

    [Fact]
    public async Task Add_ManyThreadsIntoOneBucket_TotalsAreExactAndSnapshotsNeverDecrease()
    {
        const int Writers = 8;
        const int AddsPerWriter = 20_000;
        var bucket = new UsageTotalsBucket(UsageOperation.Chat, "gpt-4o");
        using var start = new Barrier(Writers + 1);
        var writers = Enumerable.Range(0, Writers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < AddsPerWriter; i++)
                {
                    bucket.Add(Shape);
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        start.SignalAndWait();
        var all = Task.WhenAll(writers);
        var previous = bucket.Snapshot();
        while (!all.IsCompleted)
        {
            var snapshot = bucket.Snapshot();
            snapshot.RequestCount.ShouldBeGreaterThanOrEqualTo(previous.RequestCount);
            snapshot.Tokens.Input.ShouldBeGreaterThanOrEqualTo(previous.Tokens.Input);
            snapshot.Tokens.OutputAudio.ShouldBeGreaterThanOrEqualTo(previous.Tokens.OutputAudio);
            previous = snapshot;
        }

        await all;
        var total = bucket.Snapshot();
        const long Adds = (long)Writers * AddsPerWriter;
        total.RequestCount.ShouldBe(Adds);
        total.Tokens.ShouldBe(new TokenCounts(
            Shape.Input * Adds, Shape.Output * Adds, Shape.CachedInput * Adds, Shape.CacheWriteInput * Adds, Shape.CacheWriteLongTtlInput * Adds,
            Shape.Reasoning * Adds, Shape.InputAudio * Adds, Shape.CachedInputAudio * Adds, Shape.OutputAudio * Adds));
    }

    [Fact]
    public void Add_NearMaxIntoEverySet_SnapshotSaturatesInsteadOfWrapping()
    {
        var bucket = new UsageTotalsBucket(UsageOperation.Chat, "gpt-4o");
        var held = typeof(UsageTotalsBucket).GetField("_exclusiveHeld", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var huge = new TokenCounts(long.MaxValue - 10, 10);

        bucket.Add(huge);
        OnOtherThread(() => bucket.Add(huge));
        held.SetValue(bucket, 1);
        OnOtherThread(() => bucket.Add(huge));

        var snapshot = bucket.Snapshot();
        snapshot.Tokens.Input.ShouldBe(long.MaxValue);
        snapshot.Tokens.Output.ShouldBe(30);
        snapshot.RequestCount.ShouldBe(3);
    }

    [Fact]
    public void Record_FromTwoThreadsIntoOneScope_OwnerIsTheFirstRecordingThreadAndTotalsAreExact()
    {
        // Record() reads its thread's id once (with its stripe) and hands it down to the bucket: it must be the id of the
        // thread that records, or two threads could both write the owned set.
        using var recorder = UsageRecorder.Create(new InMemoryUsageSink());
        using var scope = UsageScope.Begin("run");
        var record = new UsageRecord { Model = "gpt-4o", Tokens = new TokenCounts(10, 5) };
        var firstId = 0;
        var first = new Thread(() =>
        {
            firstId = Environment.CurrentManagedThreadId;
            recorder.Record(record);
            recorder.Record(record);
        });

        // Threads started inside the scope flow it (ExecutionContext), so both record into the same bucket.
        first.Start();
        first.Join();
        OnOtherThread(() => recorder.Record(record));
        recorder.Record(record);

        var buckets = (UsageTotalsBucket[])typeof(UsageScope).GetField("_buckets", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(scope)!;
        var owner = typeof(UsageTotalsBucket).GetField("_owner", BindingFlags.Instance | BindingFlags.NonPublic)!;
        ((int)owner.GetValue(buckets.ShouldHaveSingleItem())!).ShouldBe(firstId);
        firstId.ShouldNotBe(Environment.CurrentManagedThreadId);
        scope.Totals.RequestCount.ShouldBe(4);
        scope.Totals.Tokens.ShouldBe(new TokenCounts(40, 20));
    }

    // A new thread: never the owner, which is the test's thread.
    private static void OnOtherThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }
}
