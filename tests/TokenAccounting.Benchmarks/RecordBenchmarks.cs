using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// The hot path: <c>Record()</c> with one open scope and an in-memory sink, against the shape of the seed
/// collector (a lock around a Dictionary of rollups plus a List of details) as the baseline.
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private readonly UsageRecord _record = new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1200, 300, 1000, 0, 0, 100), UserId = "alice" };
    private UsageRecorder _recorder = null!;
    private UsageRecorder _recorderTwoSinks = null!;
    private UsageScope _scope = null!;
    private LockedDictionaryCollector _seed = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new TokenAccountingOptions { MaxBufferedRecords = 200_000, QueueCapacity = 1 << 20 };
        _recorder = UsageRecorder.Create(options, new InMemoryUsageSink());
        _recorderTwoSinks = UsageRecorder.Create(options, new NullSink(), new NullSink());
        _seed = new LockedDictionaryCollector(200_000);
        _scope = UsageScope.Begin("benchmark");
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

    [Benchmark(Description = "Record(), one scope, two sinks")]
    public void RecordTwoSinks() => _recorderTwoSinks.Record(_record);

    /// <summary>A sink that accepts and forgets, so the benchmark measures the pipeline, not the store.</summary>
    private sealed class NullSink : IUsageSink
    {
        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
