using System.Globalization;

namespace TokenAccounting.Testing;

/// <summary>
/// An <see cref="IBudgetStore"/> that can be told to fail: it keeps counters in an inner store
/// (an <see cref="InMemoryBudgetStore"/> unless given) and, while a failure is armed, fails instead (a faulted task) — before the
/// inner store is touched, so a failed operation changes nothing, as a store whose request never arrived.
/// </summary>
/// <remarks>
/// Failures are deterministic: <see cref="FailNext"/> fails the next <c>n</c> matching operations,
/// <see cref="FailAlways"/> every one until <see cref="Heal"/>; both can be narrowed to some counters (one policy of
/// several, say), and calls on other counters then work and use up nothing. The default exception is an
/// <see cref="IOException"/> that names the operation and the counter. Thread-safe.
/// </remarks>
public sealed class FakeBudgetStore : IBudgetStore
{
    private readonly object _gate = new();
    private readonly IBudgetStore _inner;
    private BudgetStoreOperations _failing;
    private int _remainingFailures;
    private Exception? _exception;
    private Func<BudgetCounter, bool>? _counters;
    private int _calls;
    private int _failures;

    /// <summary>Creates a store over <paramref name="inner"/>.</summary>
    /// <param name="inner">Where counters live while no failure is armed; a new <see cref="InMemoryBudgetStore"/> when null.</param>
    public FakeBudgetStore(IBudgetStore? inner = null)
    {
        _inner = inner ?? new InMemoryBudgetStore();
    }

    /// <summary>Gets the number of operations called, failed ones included.</summary>
    public int CallCount => Volatile.Read(ref _calls);

    /// <summary>Gets the number of operations that failed.</summary>
    public int FailureCount => Volatile.Read(ref _failures);

    /// <summary>Fails the next <paramref name="times"/> calls of <paramref name="operations"/>, then works again.</summary>
    /// <param name="times">How many calls fail; at least 1.</param>
    /// <param name="operations">Which operations fail.</param>
    /// <param name="exception">What they throw; an <see cref="IOException"/> naming the operation when null.</param>
    /// <param name="counters">
    /// Which counters fail, for example <c>c =&gt; c.PolicyName == "daily"</c>: calls on other counters work and do not
    /// count towards <paramref name="times"/>. Every counter when null.
    /// </param>
    public void FailNext(int times = 1, BudgetStoreOperations operations = BudgetStoreOperations.All, Exception? exception = null, Func<BudgetCounter, bool>? counters = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        Arm(operations, times, exception, counters);
    }

    /// <summary>Fails every call of <paramref name="operations"/> until <see cref="Heal"/>.</summary>
    /// <param name="operations">Which operations fail.</param>
    /// <param name="exception">What they throw; an <see cref="IOException"/> naming the operation when null.</param>
    /// <param name="counters">Which counters fail, for example <c>c =&gt; c.PolicyName == "daily"</c>; every counter when null.</param>
    public void FailAlways(BudgetStoreOperations operations = BudgetStoreOperations.All, Exception? exception = null, Func<BudgetCounter, bool>? counters = null) =>
        Arm(operations, -1, exception, counters);

    /// <summary>Disarms every failure.</summary>
    public void Heal() => Arm(BudgetStoreOperations.None, 0, null, null);

    /// <inheritdoc />
    public ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default)
    {
        return InjectedFailure(BudgetStoreOperations.TryAdd, counter) is { } failure ? ValueTask.FromException<BudgetStoreResult>(failure) : _inner.TryAddAsync(counter, amount, limit, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default)
    {
        return InjectedFailure(BudgetStoreOperations.Adjust, counter) is { } failure ? ValueTask.FromException<decimal>(failure) : _inner.AdjustAsync(counter, delta, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default)
    {
        return InjectedFailure(BudgetStoreOperations.GetUsed, counter) is { } failure ? ValueTask.FromException<decimal>(failure) : _inner.GetUsedAsync(counter, cancellationToken);
    }

    private void Arm(BudgetStoreOperations operations, int times, Exception? exception, Func<BudgetCounter, bool>? counters)
    {
        lock (_gate)
        {
            _failing = operations;
            _remainingFailures = times;
            _exception = exception;
            _counters = counters;
        }
    }

    private Exception? InjectedFailure(BudgetStoreOperations operation, BudgetCounter counter)
    {
        Interlocked.Increment(ref _calls);
        Exception? exception;
        lock (_gate)
        {
            if ((_failing & operation) == 0 || _remainingFailures == 0 || (_counters is not null && !_counters(counter)))
            {
                return null;
            }

            if (_remainingFailures > 0 && --_remainingFailures == 0)
            {
                _failing = BudgetStoreOperations.None;
            }

            exception = _exception ?? new IOException(string.Create(
                CultureInfo.InvariantCulture,
                $"FakeBudgetStore: injected failure of {operation} on policy '{counter.PolicyName}', subject '{counter.SubjectKey}'."));
        }

        Interlocked.Increment(ref _failures);
        return exception;
    }
}
