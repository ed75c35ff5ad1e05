namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>A recorder that always throws, standing for a broken pipeline.</summary>
internal sealed class ThrowingRecorder : IUsageRecorder
{
    public int Attempts { get; private set; }

    public void Record(UsageRecord record)
    {
        Attempts++;
        throw new InvalidOperationException("recorder is broken");
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
