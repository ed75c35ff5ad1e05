namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>
/// Sees a thread block on an operation that completes only asynchronously (sync over async), deterministically and
/// without timeouts. Code runs in synchronous segments: the test's start (<see cref="Run{T}"/>), then each completion.
/// An operation asked for in a segment (<see cref="CompleteLater"/>) is completed only once that segment has either
/// returned — the caller awaited it — or blocked: a watcher waits for one of the two, and a thread that reaches a
/// blocking wait while its segment is still running is counted in <see cref="Blocked"/> (and then released, so nothing
/// deadlocks). Completing inline on the watcher thread, with no synchronization context, lets every continuation of
/// the code under test (which awaits with <c>ConfigureAwait(false)</c>) run inline in the next segment, so the whole
/// call is watched. An operation asked for outside any segment is counted in <see cref="Unwatched"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Instance API: one detector per test.")]
internal sealed class BlockingDetector
{
    [ThreadStatic]
    private static Segment? t_segment;

    private int _blocked;
    private int _unwatched;

    /// <summary>Gets how many times a thread blocked on an operation asked for in its running segment.</summary>
    public int Blocked => Volatile.Read(ref _blocked);

    /// <summary>Gets how many operations were asked for outside any watched segment (the harness then proves nothing).</summary>
    public int Unwatched => Volatile.Read(ref _unwatched);

    /// <summary>Runs <paramref name="start"/> on the calling thread as the first segment.</summary>
    public T Run<T>(Func<T> start) => RunSegment(start);

    /// <summary>Runs <paramref name="complete"/> once the current segment has returned or blocked, as a segment of its own.</summary>
    public void CompleteLater(Action complete)
    {
        if (t_segment is not { } segment)
        {
            Interlocked.Increment(ref _unwatched);
            ThreadPool.UnsafeQueueUserWorkItem(_ => RunSegment(complete), null);
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            _ =>
            {
                var spin = default(SpinWait);
                while (!segment.Ended)
                {
                    // Ended only ever goes from false to true: still false after seeing the thread blocked means it
                    // blocked inside the segment, not after it.
                    if ((segment.Thread.ThreadState & ThreadState.WaitSleepJoin) != 0 && !segment.Ended)
                    {
                        Interlocked.Increment(ref _blocked);
                        break;
                    }

                    spin.SpinOnce();
                }

                RunSegment(complete);
            },
            null);
    }

    private static void RunSegment(Action work) => RunSegment<object?>(() =>
    {
        work();
        return null;
    });

    private static T RunSegment<T>(Func<T> work)
    {
        var previous = t_segment;
        var segment = new Segment(Thread.CurrentThread);
        t_segment = segment;
        try
        {
            return work();
        }
        finally
        {
            t_segment = previous;
            segment.End();
        }
    }

    private sealed class Segment(Thread thread)
    {
        private volatile bool _ended;

        public Thread Thread { get; } = thread;

        public bool Ended => _ended;

        public void End() => _ended = true;
    }
}

/// <summary>
/// A budget store whose every operation completes asynchronously, through <see cref="BlockingDetector.CompleteLater"/>:
/// the code that continues after the store (inline on the completing thread) is watched for blocking waits too.
/// </summary>
internal sealed class AsynchronousBudgetStore(BlockingDetector detector) : IBudgetStore
{
    private readonly InMemoryBudgetStore _inner = new();
    private int _calls;
    private int _completedSynchronously;

    public int Calls => Volatile.Read(ref _calls);

    public int CompletedSynchronously => Volatile.Read(ref _completedSynchronously);

    public int FailNext { get; set; }

    public ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default) =>
        Later(() => Completed(_inner.TryAddAsync(counter, amount, limit, cancellationToken)));

    public ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default) =>
        Later(() => Completed(_inner.AdjustAsync(counter, delta, cancellationToken)));

    public ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default) =>
        Later(() => Completed(_inner.GetUsedAsync(counter, cancellationToken)));

    // The in-memory store completes at once: taking its result never waits.
    private static T Completed<T>(ValueTask<T> operation) =>
        operation.IsCompletedSuccessfully ? operation.Result : throw new InvalidOperationException("The in-memory store did not complete synchronously.");

    private ValueTask<T> Later<T>(Func<T> operation)
    {
        Interlocked.Increment(ref _calls);
        var fail = FailNext > 0;
        if (fail)
        {
            FailNext--;
        }

        // Completed once the calling segment returned (or blocked); the continuation runs inline on the completing thread.
        var source = new OneShotSource<T>();
        detector.CompleteLater(() =>
        {
            if (fail)
            {
                source.SetException(new TimeoutException("budget store timed out"));
            }
            else
            {
                source.SetResult(operation());
            }
        });
        var task = source.Task;
        if (task.IsCompleted)
        {
            Interlocked.Increment(ref _completedSynchronously);
        }

        return task;
    }
}

/// <summary>A value-task source completed once; its continuation runs inline on the completing thread.</summary>
internal sealed class OneShotSource<T> : System.Threading.Tasks.Sources.IValueTaskSource<T>
{
    private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<T> _core;

    public ValueTask<T> Task => new(this, _core.Version);

    public void SetResult(T result) => _core.SetResult(result);

    public void SetException(Exception exception) => _core.SetException(exception);

    public T GetResult(short token) => _core.GetResult(token);

    public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
