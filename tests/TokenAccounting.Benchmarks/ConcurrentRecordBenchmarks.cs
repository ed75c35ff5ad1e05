using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Scaling of the caller's path: the same number of records per thread from one and from two threads (each in
/// its own scope). Throughput ratio = 2 × (one-thread time) / (two-thread time).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15, invocationCount: 16)]
public class ConcurrentRecordBenchmarks
{
    private const int PerThread = 200_000;

    private readonly UsageRecord _record = new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1200, 300), UserId = "alice" };
    private UsageRecorder _recorder = null!;
    private Barrier _start = null!;

    [GlobalSetup]
    public void Setup()
    {
        _recorder = UsageRecorder.Create(new TokenAccountingOptions { QueueCapacity = 16_777_216, FlushInterval = TimeSpan.FromHours(1) }, new NullSink());
        _recorder.SuspendBackgroundAggregation(true);
    }

    [IterationCleanup]
    public void Drain() => _recorder.FlushAsync().AsTask().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _recorder.Dispose();

    [Benchmark(Baseline = true, Description = "one thread × 200,000 records")]
    public void OneThread() => Run(1);

    [Benchmark(Description = "two threads × 200,000 records each")]
    public void TwoThreads() => Run(2);

    // Control: the same two-thread harness around purely local arithmetic, to show how far this machine scales at all.
    [Benchmark(Description = "control: one thread × local work")]
    public void ControlOneThread() => RunControl(1);

    [Benchmark(Description = "control: two threads × local work each")]
    public void ControlTwoThreads() => RunControl(2);

    private static void RunControl(int threads)
    {
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                ulong x = 88172645463325252UL;
                for (var i = 0; i < PerThread * 20; i++)
                {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                }

                GC.KeepAlive(x);
            });
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }
    }

    private void Run(int threads)
    {
        _start = new Barrier(threads);
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                using var scope = UsageScope.Begin("worker");
                _start.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    _recorder.Record(_record);
                }
            });
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        _start.Dispose();
    }
}
