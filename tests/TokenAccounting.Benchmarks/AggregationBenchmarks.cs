using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// End-to-end throughput: 100,000 records recorded and flushed through the whole pipeline (aggregation,
/// rollups, batching, delivery to two sinks that forget what they get), per operation. Divide by
/// <see cref="Records"/> for the background cost per record.
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    public const int Records = 100_000;

    private readonly UsageRecord _record = new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1200, 300, 1000, 0, 0, 100), UserId = "alice" };
    private UsageRecorder _recorder = null!;
    private LockedDictionaryCollector _seed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _recorder = UsageRecorder.Create(new TokenAccountingOptions { QueueCapacity = 1 << 20, FlushInterval = TimeSpan.FromHours(1) }, new NullSink(), new NullSink());
        _seed = new LockedDictionaryCollector(Records);
    }

    [GlobalCleanup]
    public void Cleanup() => _recorder.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Records, Description = "seed: lock + Dictionary + List, per record")]
    public void Seed()
    {
        for (var i = 0; i < Records; i++)
        {
            _seed.Record(_record);
        }
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "Record() + aggregate + deliver to two sinks, per record")]
    public void RecordAndFlush()
    {
        for (var i = 0; i < Records; i++)
        {
            _recorder.Record(_record);
        }

        _recorder.FlushAsync().AsTask().GetAwaiter().GetResult();
    }
}
