using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace TokenAccounting;

/// <summary>
/// Enforces <see cref="BudgetPolicy"/>s: <see cref="Reserve(BudgetAmount, BudgetSubject?)"/> an estimate before a call (denied with
/// <see cref="BudgetExceededException"/> when a hard policy has not enough left), then commit the actual usage or
/// release the estimate. Race-free: each policy's counter is checked and incremented atomically in the
/// <see cref="IBudgetStore"/>, so N concurrent reservations admit exactly what fits.
/// </summary>
/// <remarks>
/// <para>A reservation is checked against every policy that applies to its subject, in order; if one denies, the
/// holds already taken are given back (so a concurrent reservation may briefly see them, and be denied — never
/// over-admitted).</para>
/// <para>Usage counts into the window in which it was reserved (or, for recorded usage, in which it completed).</para>
/// <para>Recorded usage: the pipeline passes every record to the manager after pricing; records that carry
/// <see cref="ReservationTagKey"/> (returned by <see cref="BudgetReservation.Commit(UsageRecord)"/>) were already
/// counted by their reservation and are skipped; the others are added to the matching windows unconditionally
/// (see <see cref="BudgetOptions.CountRecordedUsage"/>). With a store other than <see cref="InMemoryBudgetStore"/>
/// they are added by a background loop, so that the pipeline never waits for the store.</para>
/// <para>Synchronous methods complete without blocking on the <see cref="InMemoryBudgetStore"/>; with an
/// asynchronous store prefer the <c>Async</c> methods.</para>
/// </remarks>
public sealed class BudgetManager : IUsageObserver
{
    /// <summary>The tag that marks a record as already counted by a reservation; its value is the reservation's id.</summary>
    public const string ReservationTagKey = "tokenaccounting.budget_reservation";

    private readonly BudgetPolicy[] _policies;
    private readonly IBudgetStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly bool _countRecordedUsage;
    private readonly ConcurrentDictionary<(string Policy, string Subject), DateTimeOffset> _warnedWindow = new();
    private readonly BudgetObservationQueue? _observations;
    private long _denials;

    /// <summary>Creates a manager.</summary>
    /// <param name="policies">The policies; names must be unique.</param>
    /// <param name="store">The counters' store; <see cref="InMemoryBudgetStore"/> for one process.</param>
    /// <param name="timeProvider">The clock that places usage in windows.</param>
    /// <param name="countRecordedUsage">See <see cref="BudgetOptions.CountRecordedUsage"/>.</param>
    /// <exception cref="ArgumentException">A policy is invalid or two share a name; the message names it.</exception>
    public BudgetManager(IEnumerable<BudgetPolicy> policies, IBudgetStore store, TimeProvider timeProvider, bool countRecordedUsage = true)
        : this(policies, store, timeProvider, countRecordedUsage, BudgetObservationQueue.DefaultCapacity)
    {
    }

    /// <summary>Tests: a manager whose queue of recorded usage for an asynchronous store holds <paramref name="observationCapacity"/> records.</summary>
    internal BudgetManager(IEnumerable<BudgetPolicy> policies, IBudgetStore store, TimeProvider timeProvider, bool countRecordedUsage, int observationCapacity)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _policies = [.. policies];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in _policies)
        {
            ArgumentNullException.ThrowIfNull(policy, nameof(policies));
            policy.Validate();
            if (!names.Add(policy.Name))
            {
                throw new ArgumentException($"Two budget policies are named '{policy.Name}'; names must be unique.", nameof(policies));
            }
        }

        _store = store;
        _timeProvider = timeProvider;
        _countRecordedUsage = countRecordedUsage;

        // The in-memory store completes synchronously; any other store may do I/O, which must not happen on the
        // pipeline's aggregator (nor on a Record() that folds on a full ingest queue and takes the aggregator's lock).
        if (countRecordedUsage && store is not InMemoryBudgetStore)
        {
            _observations = new BudgetObservationQueue(ObserveAsync, observationCapacity);
        }
    }

    /// <summary>Creates a manager from options (the DI constructor).</summary>
    /// <param name="options">The options.</param>
    /// <param name="store">The counters' store.</param>
    /// <param name="timeProvider">The clock.</param>
    public BudgetManager(IOptions<BudgetOptions> options, IBudgetStore store, TimeProvider timeProvider)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.Policies, store, timeProvider, options.Value.CountRecordedUsage)
    {
    }

    /// <summary>
    /// Raised once per window (per policy and subject) when usage crosses a policy's warning threshold — for soft
    /// policies without a threshold, when it reaches the limit. Raised on the thread that counted the usage;
    /// handler exceptions are caught and ignored so that they never change the accounting.
    /// </summary>
    public event EventHandler<BudgetWarningEventArgs>? WarningThresholdCrossed;

    /// <summary>Gets the policies.</summary>
    public IReadOnlyList<BudgetPolicy> Policies => _policies;

    /// <summary>Gets how many reservations were denied since the manager was created (for metrics).</summary>
    public long Denials => Interlocked.Read(ref _denials);

    /// <summary>Raised with the policy name on every denial; the metrics layer counts it.</summary>
    internal event Action<string>? Denied;

    /// <summary>Reserves an estimate for the subject of the current <see cref="UsageScope"/> (<see cref="BudgetSubject.FromCurrentScope"/>).</summary>
    /// <param name="estimate">The expected usage.</param>
    /// <returns>The reservation; commit or dispose it.</returns>
    /// <exception cref="BudgetExceededException">A hard policy has not enough left; nothing is held.</exception>
    public BudgetReservation Reserve(BudgetAmount estimate) => Reserve(estimate, null);

    /// <summary>Reserves an estimate for a subject.</summary>
    /// <param name="estimate">The expected usage.</param>
    /// <param name="subject">Who the call is for; null for the current scope's subject.</param>
    /// <returns>The reservation; commit or dispose it.</returns>
    /// <exception cref="BudgetExceededException">A hard policy has not enough left; nothing is held.</exception>
    public BudgetReservation Reserve(BudgetAmount estimate, BudgetSubject? subject) => Wait(ReserveAsync(estimate, subject, CancellationToken.None));

    /// <summary>Reserves an estimate for a subject without blocking on an asynchronous store.</summary>
    /// <param name="estimate">The expected usage.</param>
    /// <param name="subject">Who the call is for; null for the current scope's subject.</param>
    /// <param name="cancellationToken">Cancels the store operations.</param>
    /// <returns>The reservation; commit or dispose it.</returns>
    /// <exception cref="BudgetExceededException">A hard policy has not enough left; nothing is held.</exception>
    public async ValueTask<BudgetReservation> ReserveAsync(BudgetAmount estimate, BudgetSubject? subject = null, CancellationToken cancellationToken = default)
    {
        estimate.Validate(nameof(estimate));
        subject ??= BudgetSubject.FromCurrentScope();
        var at = _timeProvider.GetUtcNow();
        var holds = new List<Hold>(_policies.Length);
        try
        {
            foreach (var policy in _policies)
            {
                if (!policy.TryGetSubjectKey(subject, out var key))
                {
                    continue;
                }

                var counter = new BudgetCounter(policy.Name, key, policy.Window, at);
                var amount = estimate.In(policy.Unit);
                var limit = policy.Enforcement == BudgetEnforcement.Hard ? policy.Limit : (decimal?)null;
                var result = await _store.TryAddAsync(counter, amount, limit, cancellationToken).ConfigureAwait(false);
                if (!result.Admitted)
                {
                    Interlocked.Increment(ref _denials);
                    Denied?.Invoke(policy.Name);
                    throw new BudgetExceededException(policy, key, policy.Limit, result.Used, amount);
                }

                holds.Add(new Hold(policy, counter, amount));
                Warn(policy, counter, result.Used - amount, result.Used);
            }
        }
        catch
        {
            // Give back what this reservation already holds; never with the caller's token, which may be the cause.
            foreach (var hold in holds)
            {
                await _store.AdjustAsync(hold.Counter, -hold.Amount, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        return new BudgetReservation(this, [.. holds], estimate);
    }

    /// <summary>Gets the amount used (committed and reserved) now under a policy by a subject.</summary>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="subject">The subject; null for the current scope's subject.</param>
    /// <returns>The amount used in the current window, in the policy's unit; null when the policy does not apply to the subject.</returns>
    /// <exception cref="ArgumentException">No policy has that name.</exception>
    public decimal? GetUsed(string policyName, BudgetSubject? subject = null) => Wait(GetUsedAsync(policyName, subject, CancellationToken.None));

    /// <summary>As <see cref="GetUsed"/>, without blocking on an asynchronous store.</summary>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="subject">The subject; null for the current scope's subject.</param>
    /// <param name="cancellationToken">Cancels the store operation.</param>
    /// <returns>The amount used in the current window; null when the policy does not apply to the subject.</returns>
    public async ValueTask<decimal?> GetUsedAsync(string policyName, BudgetSubject? subject = null, CancellationToken cancellationToken = default)
    {
        var policy = Array.Find(_policies, p => p.Name == policyName) ?? throw new ArgumentException($"No budget policy is named '{policyName}'.", nameof(policyName));
        if (!policy.TryGetSubjectKey(subject ?? BudgetSubject.FromCurrentScope(), out var key))
        {
            return null;
        }

        return await _store.GetUsedAsync(new BudgetCounter(policy.Name, key, policy.Window, _timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    Action<Exception>? IUsageObserver.BackgroundFailed
    {
        set
        {
            if (_observations is not null)
            {
                _observations.Failed = value;
            }
        }
    }

    /// <summary>
    /// Counts a record that did not go through a reservation (the pipeline's aggregator calls this): at once with the
    /// <see cref="InMemoryBudgetStore"/>, otherwise by a background loop, so that the aggregator never waits for the store.
    /// </summary>
    void IUsageObserver.OnRecord(UsageRecord record)
    {
        if (!ShouldObserve(record))
        {
            return;
        }

        if (_observations is null)
        {
            Wait(ObserveAsync(record, CancellationToken.None));
        }
        else
        {
            _observations.Enqueue(record);
        }
    }

    /// <inheritdoc />
    Task IUsageObserver.DrainAsync(CancellationToken cancellationToken) =>
        _observations?.DrainAsync(cancellationToken) ?? Task.CompletedTask;

    internal static void Wait(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        task.AsTask().GetAwaiter().GetResult();
    }

    internal static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    internal async ValueTask ObserveAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        if (!ShouldObserve(record))
        {
            return;
        }

        var subject = BudgetSubject.FromRecord(record);
        var amount = BudgetAmount.FromRecord(record);
        var at = record.CompletedAt ?? _timeProvider.GetUtcNow();
        foreach (var policy in _policies)
        {
            if (!policy.TryGetSubjectKey(subject, out var key))
            {
                continue;
            }

            var delta = amount.In(policy.Unit);
            if (delta == 0)
            {
                continue;
            }

            var counter = new BudgetCounter(policy.Name, key, policy.Window, at);
            var used = await _store.AdjustAsync(counter, delta, cancellationToken).ConfigureAwait(false);
            Warn(policy, counter, used - delta, used);
        }
    }

    private bool ShouldObserve(UsageRecord record) =>
        _countRecordedUsage && _policies.Length > 0 && !(record.Tags is { } tags && tags.ContainsKey(ReservationTagKey));

    /// <summary>Commits (actual non-null) or releases (null) the holds of a reservation.</summary>
    internal async ValueTask SettleAsync(Hold[] holds, BudgetAmount? actual, CancellationToken cancellationToken)
    {
        foreach (var hold in holds)
        {
            var delta = actual is { } a ? a.In(hold.Policy.Unit) - hold.Amount : -hold.Amount;
            if (delta == 0)
            {
                continue;
            }

            var used = await _store.AdjustAsync(hold.Counter, delta, cancellationToken).ConfigureAwait(false);
            Warn(hold.Policy, hold.Counter, used - delta, used);
        }
    }

    private void Warn(BudgetPolicy policy, BudgetCounter counter, decimal before, decimal after)
    {
        if (policy.WarningLevel is not { } level)
        {
            return;
        }

        var key = (policy.Name, counter.SubjectKey);
        if (policy.Window.Kind == BudgetWindowKind.Rolling)
        {
            // A rolling window has no start: re-arm once usage is seen below the threshold again.
            if (after < level)
            {
                _warnedWindow.TryRemove(key, out _);
                return;
            }

            if (before >= level || !_warnedWindow.TryAdd(key, DateTimeOffset.MinValue))
            {
                return;
            }
        }
        else
        {
            if (before >= level || after < level)
            {
                return;
            }

            var windowStart = policy.Window.GetStart(counter.At);
            while (true)
            {
                if (_warnedWindow.TryGetValue(key, out var warned))
                {
                    if (warned >= windowStart)
                    {
                        return; // already warned in this window
                    }

                    if (_warnedWindow.TryUpdate(key, windowStart, warned))
                    {
                        break;
                    }
                }
                else if (_warnedWindow.TryAdd(key, windowStart))
                {
                    break;
                }
            }
        }

        var handler = WarningThresholdCrossed;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new BudgetWarningEventArgs(policy, counter.SubjectKey, after, counter.At));
        }
#pragma warning disable CA1031 // A faulty handler must never change budget accounting.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    internal readonly record struct Hold(BudgetPolicy Policy, BudgetCounter Counter, decimal Amount);
}
