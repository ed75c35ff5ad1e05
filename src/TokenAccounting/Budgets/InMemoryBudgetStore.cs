using System.Collections.Concurrent;

namespace TokenAccounting;

/// <summary>
/// The in-process <see cref="IBudgetStore"/>: exact, race-free (a lock per counter), and lost on restart. Fixed
/// windows keep only the current window per counter; rolling windows keep amounts per moment and drop those that
/// slid out.
/// </summary>
public sealed class InMemoryBudgetStore : IBudgetStore
{
    private readonly ConcurrentDictionary<(string Policy, string Subject), Counter> _counters = new();

    /// <inheritdoc />
    public ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        cancellationToken.ThrowIfCancellationRequested();
        var state = Get(counter);
        lock (state)
        {
            var used = state.Used(counter.Window, counter.At);
            if (limit is { } max && !(used < max && used + amount <= max))
            {
                return ValueTask.FromResult(new BudgetStoreResult(false, used));
            }

            return ValueTask.FromResult(new BudgetStoreResult(true, state.Add(counter.Window, counter.At, amount)));
        }
    }

    /// <inheritdoc />
    public ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = Get(counter);
        lock (state)
        {
            return ValueTask.FromResult(state.Add(counter.Window, counter.At, delta));
        }
    }

    /// <inheritdoc />
    public ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = Get(counter);
        lock (state)
        {
            return ValueTask.FromResult(state.Used(counter.Window, counter.At));
        }
    }

    private Counter Get(BudgetCounter counter)
    {
        ArgumentNullException.ThrowIfNull(counter.PolicyName, nameof(counter));
        return _counters.GetOrAdd((counter.PolicyName, counter.SubjectKey ?? string.Empty), static _ => new Counter());
    }

    /// <summary>One counter's state; every member is called under the counter's lock.</summary>
    private sealed class Counter
    {
        private readonly SortedDictionary<long, decimal> _moments = [];
        private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
        private DateTimeOffset _latest = DateTimeOffset.MinValue;
        private decimal _used;

        public decimal Used(BudgetWindow window, DateTimeOffset at)
        {
            if (window.Kind == BudgetWindowKind.Rolling)
            {
                Slide(window, at);
                return _used;
            }

            return window.GetStart(at) > _windowStart ? 0m : _used;
        }

        public decimal Add(BudgetWindow window, DateTimeOffset at, decimal amount)
        {
            if (window.Kind == BudgetWindowKind.Rolling)
            {
                Slide(window, at);
                if (at <= _latest - window.Duration)
                {
                    return _used; // the moment already slid out of the window
                }

                _moments.TryGetValue(at.UtcTicks, out var atMoment);
                var change = Math.Max(amount, -atMoment); // never below zero at a moment
                _moments[at.UtcTicks] = atMoment + change;
                _used += change;
                return _used;
            }

            var start = window.GetStart(at);
            if (start > _windowStart)
            {
                _windowStart = start;
                _used = 0m;
            }
            else if (start < _windowStart)
            {
                return _used; // that window has ended; the current one is not touched
            }

            _used = Math.Max(0m, _used + amount);
            return _used;
        }

        private void Slide(BudgetWindow window, DateTimeOffset at)
        {
            if (at > _latest)
            {
                _latest = at;
            }

            var cutoff = (_latest - window.Duration).UtcTicks;
            while (_moments.Count > 0)
            {
                var first = _moments.First();
                if (first.Key > cutoff)
                {
                    break;
                }

                _used -= first.Value;
                _moments.Remove(first.Key);
            }
        }
    }
}
