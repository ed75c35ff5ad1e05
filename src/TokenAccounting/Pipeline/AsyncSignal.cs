namespace TokenAccounting;

/// <summary>An auto-reset signal that async code can wait for; <see cref="Set"/> wakes the current waiter.</summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _source = New();

    /// <summary>Gets a task that completes at the next <see cref="Set"/> (or at once if set since the last wait).</summary>
    public Task WaitAsync()
    {
        var source = Volatile.Read(ref _source);
        if (source.Task.IsCompleted)
        {
            // Consume the pending set, once.
            Interlocked.CompareExchange(ref _source, New(), source);
            return Task.CompletedTask;
        }

        return source.Task;
    }

    public void Set() => Volatile.Read(ref _source).TrySetResult();

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
