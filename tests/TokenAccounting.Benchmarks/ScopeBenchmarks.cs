using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// <c>UsageScope.Begin</c> + <c>Dispose</c> against the cost of the AsyncLocal push/pop it is built on (the same
/// mechanism as Serilog's <c>LogContext.PushProperty</c>), measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class ScopeBenchmarks
{
    private static readonly AsyncLocal<object?> Local = new();
    private static readonly object Value = new();

    [Benchmark(Baseline = true, Description = "AsyncLocal set + restore")]
    public void AsyncLocalPushPop()
    {
        var previous = Local.Value;
        Local.Value = Value;
        Local.Value = previous;
    }

    [Benchmark(Description = "UsageScope.Begin + Dispose")]
    public void BeginDispose()
    {
        using var scope = UsageScope.Begin("step");
    }

    [Benchmark(Description = "UsageScope.Begin(user, tenant) + Dispose")]
    public void BeginDisposeWithUser()
    {
        using var scope = UsageScope.Begin("step", "alice", "acme");
    }
}
