using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// The caller's cost of <c>Record()</c> — validation, attribution to one open scope, the enqueue — against the
/// shape of the seed collector (a lock around a rollup Dictionary plus a detail List) as the baseline. The
/// background aggregation that <c>Record()</c> hands off is held back during an iteration and drained after it
/// (its cost is measured by <see cref="AggregationBenchmarks"/>), so allocations shown are the caller's.
/// </summary>
/// <remarks>
/// The invocation count is fixed (and the queue sized for it) so that nothing overflows into the slow path while the
/// aggregation is held back; the queue is drained in the iteration cleanup, outside the measurement.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15, invocationCount: 500_000)]
public class RecordBenchmarks
{
    private readonly UsageRecord _record = new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1200, 300, 1000, 0, 0, 100), UserId = "alice" };
    private UsageRecorder _recorder = null!;
    private UsageRecorder _recorderTwoSinks = null!;
    private UsageScope _scope = null!;
    private InMemoryUsageSink _memory = null!;
    private LockedDictionaryCollector _seed = null!;
    private IngestQueue _queue = null!;
    private UsageRecord[] _fresh = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var options = new TokenAccountingOptions { MaxBufferedRecords = 1_000_000, QueueCapacity = 1 << 21, FlushInterval = TimeSpan.FromHours(1) };
        _memory = new InMemoryUsageSink();
        _recorder = UsageRecorder.Create(options, _memory);
        _recorderTwoSinks = UsageRecorder.Create(options, new NullSink(), new NullSink());
        _recorder.SuspendBackgroundAggregation(true);
        _recorderTwoSinks.SuspendBackgroundAggregation(true);
        _seed = new LockedDictionaryCollector(200_000);
        _scope = UsageScope.Begin("benchmark");
        _queue = new IngestQueue(1 << 20);
    }

    /// <summary>
    /// A new record for every call of <see cref="RecordFresh"/>, as the middleware builds one per call: copies with the
    /// same strings (model names repeat as the same instances in real traffic) that no <c>Validate()</c> has seen.
    /// </summary>
    [IterationSetup(Target = nameof(RecordFresh))]
    public void BuildFreshRecords()
    {
        if (_fresh.Length == 0)
        {
            _fresh = new UsageRecord[500_000];
        }

        for (var i = 0; i < _fresh.Length; i++)
        {
            _fresh[i] = _record with { };
        }

        _next = 0;
    }

    [IterationCleanup]
    public void Drain()
    {
        _recorder.FlushAsync().AsTask().GetAwaiter().GetResult();
        _recorderTwoSinks.FlushAsync().AsTask().GetAwaiter().GetResult();
        _memory.Clear();
        while (_queue.TryDequeue(out _))
        {
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scope.Dispose();
        _recorder.Dispose();
        _recorderTwoSinks.Dispose();
    }

    [Benchmark(Baseline = true, Description = "seed: lock + Dictionary + List")]
    public void SeedCollector() => _seed.Record(_record);

    [Benchmark(Description = "Record(), one scope, in-memory sink")]
    public void Record() => _recorder.Record(_record);

    [Benchmark(Description = "Record(), one scope, a new record each call")]
    public void RecordFresh() => _recorder.Record(_fresh[_next++]);

    [Benchmark(Description = "Record(), one scope, two sinks")]
    public void RecordTwoSinks() => _recorderTwoSinks.Record(_record);

    // The parts of Record(), each on its own, so a change to one shows where the time goes.
    [Benchmark(Description = "part: Validate() of a record validated before")]
    public void PartValidate() => _record.Validate();

    [Benchmark(Description = "part: Validate()'s checks")]
    public void PartValidateChecks() => _record.ValidateFields();

    [Benchmark(Description = "part: scope read + add to one scope")]
    public ulong PartAttribute()
    {
        var scope = UsageScope.NearestOpen(UsageScope.CurrentRaw);
        return UsageScope.AddToChain(scope, _record.Operation, _record.Model, _record.Tokens);
    }

    [Benchmark(Description = "part: Activity.Current")]
    public bool PartActivity() => Activity.Current is { IsAllDataRequested: true };

    [Benchmark(Description = "part: TimeProvider.System.GetUtcNow()")]
    public DateTimeOffset PartClock() => TimeProvider.System.GetUtcNow();

    [Benchmark(Description = "part: IngestQueue.TryEnqueue")]
    public int PartEnqueue() => _queue.TryEnqueue(new IngestItem(_record, _scope, 1, default), out _);
}

/// <summary>A sink that accepts and forgets, so benchmarks measure the pipeline, not a store.</summary>
internal sealed class NullSink : IUsageSink
{
    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
