using System.Collections.Concurrent;

namespace TokenAccounting.TestKit;

/// <summary>An <see cref="IUsageRecorder"/> that keeps exactly the instances it is given, in order.</summary>
/// <remarks>
/// Kept beside the package's <c>FakeUsageRecorder</c> on purpose: that fake models the real recorder (it validates,
/// stamps ids and times, attributes to scopes, prices), which would hide what a component under test (the tracker,
/// the chat-client middleware) failed to set itself. Tests of those components need the records verbatim.
/// </remarks>
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
