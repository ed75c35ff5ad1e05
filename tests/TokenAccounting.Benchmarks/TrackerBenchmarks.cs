using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// One request paired with its usage through <see cref="UsageTracker"/>, in the callback form and through a
/// per-request handle, against forwarding the same record to the recorder directly (the tracker's floor: it always
/// forwards). The recorder discards, so only the tracker's own cost is measured. The tracker keeps what it pairs, so
/// it is drained every 1,024 records (as an agent drains per turn); the drained array adds about 8 B per record.
/// </summary>
[MemoryDiagnoser]
public class TrackerBenchmarks
{
    private readonly UsageRecord _usage = new() { Model = "gpt-4o", Tokens = new TokenCounts(1_200, 80) };
    private readonly DiscardingRecorder _recorder = new();
    private UsageTracker _tracker = null!;
    private int _kept;

    [GlobalSetup]
    public void Setup() => _tracker = new UsageTracker(_recorder);

    [Benchmark(Baseline = true, Description = "recorder.Record (no pairing)")]
    public void RecordDirectly() => _recorder.Record(_usage);

    [Benchmark(Description = "NoteRequest + RecordUsage")]
    public UsageRecord Callback()
    {
        _tracker.NoteRequest(12);
        var paired = _tracker.RecordUsage(_usage);
        DrainNowAndThen();
        return paired;
    }

    [Benchmark(Description = "BeginRequest + RecordUsage + Dispose")]
    public UsageRecord Handle()
    {
        using var request = _tracker.BeginRequest(12);
        var paired = request.RecordUsage(_usage);
        DrainNowAndThen();
        return paired;
    }

    private void DrainNowAndThen()
    {
        if (++_kept == 1024)
        {
            _kept = 0;
            _tracker.Drain();
        }
    }

    private sealed class DiscardingRecorder : IUsageRecorder
    {
        public void Record(UsageRecord record)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
