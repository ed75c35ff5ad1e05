using System.Globalization;

namespace TokenAccounting.Testing;

/// <summary>
/// An <see cref="IUsageSink"/> that can fail, hang or flake deterministically, and otherwise applies each batch once
/// per <see cref="UsageBatch.BatchId"/> into <see cref="Delivered"/> (an <see cref="InMemoryUsageSink"/>), as a
/// durable sink would.
/// </summary>
/// <remarks>
/// <para>Failures: <see cref="FailNext"/> fails the next <c>n</c> writes, <see cref="FailAlways"/> every write,
/// <see cref="FailEvery"/> every <c>n</c>-th write attempt, <see cref="FailWithProbability"/> a seeded share of
/// attempts (flaky sinks whose pattern repeats run after run), all
/// until <see cref="Heal"/>. The default exception is an <see cref="IOException"/> naming the batch and attempt;
/// pass a factory to throw something else (for example a permanent data error).</para>
/// <para>Hanging: after <see cref="Hang"/>, writes wait until <see cref="Release"/> (or <see cref="Heal"/>) — honouring
/// the write's cancellation token unless told to ignore it, like a sink stuck in a call that cannot be cancelled.</para>
/// <para>Signals instead of sleeps: <see cref="WaitForAttemptsAsync"/> and <see cref="WaitForRecordsAsync"/>
/// complete when that many write attempts or delivered records have been seen. Thread-safe.</para>
/// </remarks>
public sealed class FakeUsageSink : IUsageSink
{
    private readonly object _gate = new();
    private readonly List<UsageBatch> _attempts = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _attemptWaiters = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _recordWaiters = [];
    private Func<UsageBatch, int, Exception>? _exception;
    private int _failNext;
    private bool _failAlways;
    private int _failEvery;
    private double _failRate;
    private Random? _random;
    private TaskCompletionSource? _hang;
    private bool _hangIgnoresCancellation;
    private int _failures;

    /// <summary>Gets what was delivered: the batches that were written without failing, each batch id once.</summary>
    public InMemoryUsageSink Delivered { get; } = new();

    /// <summary>Gets every write attempt, in order, failed and retried ones included.</summary>
    public IReadOnlyList<UsageBatch> Attempts
    {
        get
        {
            lock (_gate)
            {
                return _attempts.ToArray();
            }
        }
    }

    /// <summary>Gets the number of write attempts.</summary>
    public int AttemptCount
    {
        get
        {
            lock (_gate)
            {
                return _attempts.Count;
            }
        }
    }

    /// <summary>Gets the number of writes that failed.</summary>
    public int FailureCount => Volatile.Read(ref _failures);

    /// <summary>Fails the next <paramref name="times"/> writes, then works again.</summary>
    /// <param name="times">How many writes fail; at least 1.</param>
    /// <param name="exception">Makes the exception from the batch and the 1-based attempt number; an <see cref="IOException"/> when null.</param>
    public void FailNext(int times = 1, Func<UsageBatch, int, Exception>? exception = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate)
        {
            _failNext = times;
            _exception = exception;
        }
    }

    /// <summary>Fails every write until <see cref="Heal"/>.</summary>
    /// <param name="exception">Makes the exception from the batch and the 1-based attempt number; an <see cref="IOException"/> when null.</param>
    public void FailAlways(Func<UsageBatch, int, Exception>? exception = null)
    {
        lock (_gate)
        {
            _failAlways = true;
            _exception = exception;
        }
    }

    /// <summary>Fails every <paramref name="n"/>-th write attempt (counting all attempts since creation) until <see cref="Heal"/>.</summary>
    /// <param name="n">The period; at least 2 (use <see cref="FailAlways"/> for every write).</param>
    /// <param name="exception">Makes the exception from the batch and the 1-based attempt number; an <see cref="IOException"/> when null.</param>
    public void FailEvery(int n, Func<UsageBatch, int, Exception>? exception = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        lock (_gate)
        {
            _failEvery = n;
            _exception = exception;
        }
    }

    /// <summary>
    /// Fails each write attempt with probability <paramref name="rate"/>, drawn from a generator seeded with
    /// <paramref name="seed"/> (so the same attempts fail every run), until <see cref="Heal"/>.
    /// </summary>
    /// <param name="rate">The failure probability, from 0 to 1.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <param name="exception">Makes the exception from the batch and the 1-based attempt number; an <see cref="IOException"/> when null.</param>
    public void FailWithProbability(double rate, int seed = 42, Func<UsageBatch, int, Exception>? exception = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, 1d);
        lock (_gate)
        {
            _failRate = rate;
#pragma warning disable CA5394 // Not security: a seeded generator is the point, so a flaky run repeats.
            _random = new Random(seed);
#pragma warning restore CA5394
            _exception = exception;
        }
    }

    /// <summary>Makes writes from now on wait until <see cref="Release"/> or <see cref="Heal"/>.</summary>
    /// <param name="ignoreCancellation">When true, a hung write ignores its cancellation token (a call that cannot be cancelled).</param>
    public void Hang(bool ignoreCancellation = false)
    {
        lock (_gate)
        {
            _hang ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _hangIgnoresCancellation = ignoreCancellation;
        }
    }

    /// <summary>Lets hung writes (and later ones) proceed.</summary>
    public void Release()
    {
        TaskCompletionSource? hang;
        lock (_gate)
        {
            hang = _hang;
            _hang = null;
        }

        hang?.TrySetResult();
    }

    /// <summary>Disarms every failure and releases hung writes.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _failNext = 0;
            _failAlways = false;
            _failEvery = 0;
            _failRate = 0;
            _random = null;
            _exception = null;
        }

        Release();
    }

    /// <summary>Completes when at least <paramref name="count"/> write attempts have been made.</summary>
    /// <param name="count">The number of attempts.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForAttemptsAsync(int count, CancellationToken cancellationToken = default) =>
        Wait(_attemptWaiters, count, () => _attempts.Count, cancellationToken);

    /// <summary>Completes when at least <paramref name="count"/> detail records have been delivered.</summary>
    /// <param name="count">The number of records.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForRecordsAsync(int count, CancellationToken cancellationToken = default) =>
        Wait(_recordWaiters, count, () => Delivered.Records.Count, cancellationToken);

    /// <inheritdoc />
    public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Exception? failure = null;
        TaskCompletionSource? hang;
        bool ignoreCancellation;
        lock (_gate)
        {
            _attempts.Add(batch);
            var attempt = _attempts.Count;
#pragma warning disable CA5394 // Not security: seeded draws make a flaky sink repeatable.
            var flaked = _random is not null && _random.NextDouble() < _failRate;
#pragma warning restore CA5394
            if (_failAlways || _failNext > 0 || (_failEvery > 0 && attempt % _failEvery == 0) || flaked)
            {
                if (_failNext > 0)
                {
                    _failNext--;
                }

                failure = _exception?.Invoke(batch, attempt) ?? new IOException(string.Create(
                    CultureInfo.InvariantCulture, $"FakeUsageSink: injected failure of batch {batch.BatchId} (attempt {attempt})."));
            }

            hang = _hang;
            ignoreCancellation = _hangIgnoresCancellation;
            Signal(_attemptWaiters, attempt);
        }

        if (hang is not null)
        {
            await (ignoreCancellation ? hang.Task : hang.Task.WaitAsync(cancellationToken)).ConfigureAwait(false);
        }

        if (failure is not null)
        {
            Interlocked.Increment(ref _failures);
            throw failure;
        }

        await Delivered.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            // Counted only when someone waits: Delivered.Records copies every record, and a test may deliver millions.
            if (_recordWaiters.Count > 0)
            {
                Signal(_recordWaiters, Delivered.Records.Count);
            }
        }
    }

    private static void Signal(List<(int Count, TaskCompletionSource Signal)> waiters, int reached)
    {
        for (var i = waiters.Count - 1; i >= 0; i--)
        {
            if (waiters[i].Count <= reached)
            {
                waiters[i].Signal.TrySetResult();
                waiters.RemoveAt(i);
            }
        }
    }

    private Task Wait(List<(int Count, TaskCompletionSource Signal)> waiters, int count, Func<int> current, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            if (current() >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((count, signal));
            return signal.Task.WaitAsync(cancellationToken);
        }
    }
}
