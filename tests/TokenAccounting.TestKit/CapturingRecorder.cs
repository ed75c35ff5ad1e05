using System.Collections.Concurrent;

namespace TokenAccounting.TestKit;

/// <summary>An <see cref="IUsageRecorder"/> that keeps what it is given, in order, and validates like the real one.</summary>
public sealed class CapturingRecorder : IUsageRecorder
{
    private readonly ConcurrentQueue<UsageRecord> _records = new();

    public IReadOnlyList<UsageRecord> Records => _records.ToArray();

    public int FlushCount { get; private set; }

    public void Record(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records.Enqueue(record);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        FlushCount++;
        return ValueTask.CompletedTask;
    }
}
