using System.Collections.Concurrent;

namespace TokenAccounting;

/// <summary>
/// The in-process <see cref="IBudgetStore"/>: race-free (a lock per counter) and lost on restart. Fixed windows keep
/// only the current window per counter. Rolling windows are cut into buckets exactly like the PostgreSQL store's:
/// 61 buckets of <c>w = ⌈Duration / 60⌉</c> (at least one tick) per counter, so memory is bounded per counter whatever
/// the request rate; the window at a moment sums the bucket holding it and the 60 before it, so an amount counts for
/// at least <c>Duration</c> and at most <c>Duration + w</c> (for <c>Rolling(1 h)</c>, between 60 and 61 minutes).
/// </summary>
/// <remarks>
/// Sums saturate at <see cref="decimal.MaxValue"/> instead of throwing, and never go below zero (per bucket for
/// rolling windows).
/// </remarks>
public sealed class InMemoryBudgetStore : IBudgetStore
{
    /// <summary>The number of whole buckets before the current one that a rolling window sums (as in the PostgreSQL store).</summary>
    internal const int RollingBuckets = 60;

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
            if (limit is { } max && !(used < max && amount <= max - used))
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

    /// <inheritdoc />
    /// <remarks>From the buckets: a bucket leaves the window 61 bucket widths after its start.</remarks>
    public ValueTask<DateTimeOffset?> GetRetryAtAsync(BudgetCounter counter, decimal amount, decimal limit, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = Get(counter);
        lock (state)
        {
            state.Used(counter.Window, counter.At);
            return ValueTask.FromResult(state.RetryAt(counter.Window, amount, limit));
        }
    }

    /// <summary>Tests: how many rolling-window buckets of a counter hold usage.</summary>
    internal int CountRollingBuckets(string policyName, string subjectKey)
    {
        if (!_counters.TryGetValue((policyName, subjectKey), out var state))
        {
            return 0;
        }

        lock (state)
        {
            return state.NonEmptyBuckets;
        }
    }

    private Counter Get(BudgetCounter counter)
    {
        ArgumentNullException.ThrowIfNull(counter.PolicyName, nameof(counter));
        return _counters.GetOrAdd((counter.PolicyName, counter.SubjectKey ?? string.Empty), static _ => new Counter());
    }

    /// <summary>The width of one bucket of a rolling window, in ticks: <c>⌈Duration / 60⌉</c>, at least one.</summary>
    internal static long BucketWidth(BudgetWindow window) => Math.Max(1, (window.Duration.Ticks + RollingBuckets - 1) / RollingBuckets);

    /// <summary>One counter's state; every member is called under the counter's lock.</summary>
    private sealed class Counter
    {
        private const int Slots = RollingBuckets + 1;

        private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
        private decimal _used;

        // Rolling windows: a ring of 61 buckets; the valid bucket indexes are (_latest − 61, _latest].
        private decimal[]? _buckets;
        private long _latest;
        private bool _saturated;

        public int NonEmptyBuckets => _buckets is null ? 0 : _buckets.Count(static b => b != 0m);

        public decimal Used(BudgetWindow window, DateTimeOffset at)
        {
            if (window.Kind == BudgetWindowKind.Rolling)
            {
                Slide(Index(window, at));
                return _used;
            }

            return window.GetStart(at) > _windowStart ? 0m : _used;
        }

        public decimal Add(BudgetWindow window, DateTimeOffset at, decimal amount)
        {
            if (window.Kind == BudgetWindowKind.Rolling)
            {
                var index = Index(window, at);
                Slide(index);
                if (index <= _latest - Slots)
                {
                    return _used; // the moment already slid out of the window
                }

                var slot = (int)(index % Slots);
                var before = _buckets![slot];
                var after = BudgetMath.AddUsed(before, amount); // never below zero in a bucket
                _buckets[slot] = after;
                var change = after - before;
                if (_saturated || (change > 0 && _used > decimal.MaxValue - change))
                {
                    Recount();
                }
                else
                {
                    _used += change;
                }

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

            _used = BudgetMath.AddUsed(_used, amount);
            return _used;
        }

        /// <summary>
        /// The moment the oldest buckets have slid out far enough for <paramref name="amount"/> to fit under
        /// <paramref name="limit"/>; null for fixed windows and when it can never fit.
        /// </summary>
        public DateTimeOffset? RetryAt(BudgetWindow window, decimal amount, decimal limit)
        {
            if (window.Kind != BudgetWindowKind.Rolling || amount > limit || _buckets is null)
            {
                return null;
            }

            var width = BucketWidth(window);
            var remaining = _used;
            for (var index = _latest - RollingBuckets; index <= _latest; index++)
            {
                if (index < 0)
                {
                    continue;
                }

                remaining = Math.Max(0m, remaining - _buckets[(int)(index % Slots)]);
                if (remaining < limit && amount <= limit - remaining)
                {
                    // Bucket `index` leaves the window when the window's current bucket is index + 61.
                    return Moment(index + Slots, width);
                }
            }

            return Moment(_latest + Slots, width);
        }

        private static DateTimeOffset Moment(long index, long width) =>
            index > DateTimeOffset.MaxValue.UtcTicks / width ? DateTimeOffset.MaxValue : new DateTimeOffset(index * width, TimeSpan.Zero);

        private static long Index(BudgetWindow window, DateTimeOffset at) => at.UtcTicks / BucketWidth(window);

        private void Slide(long index)
        {
            if (_buckets is null)
            {
                _buckets = new decimal[Slots];
                _latest = index;
                return;
            }

            if (index <= _latest)
            {
                return;
            }

            var steps = Math.Min(Slots, index - _latest);
            for (long k = 1; k <= steps; k++)
            {
                var slot = (int)((_latest + k) % Slots);
                _used -= _buckets[slot];
                _buckets[slot] = 0m;
            }

            _latest = index;
            if (_saturated || _used < 0)
            {
                Recount();
            }
        }

        private void Recount()
        {
            var sum = 0m;
            foreach (var bucket in _buckets!)
            {
                sum = BudgetMath.Add(sum, bucket);
            }

            _used = sum;
            _saturated = sum == decimal.MaxValue;
        }
    }
}
