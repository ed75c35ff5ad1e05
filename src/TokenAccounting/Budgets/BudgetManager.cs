using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
/// <para>Store failures: every store error is wrapped in a <see cref="BudgetStoreException"/> that names the policy.
/// A failed reservation holds nothing (what it already held is given back, each policy on its own, and any give-back
/// the store refuses is retried in the background). A failed commit or release leaves the reservation held and can be
/// retried by the caller; disposing the reservation instead hands it to a background loop of this manager that
/// retries it (after 1 s, doubling up to 30 s) until the store takes it — counted in <see cref="SettlementFailures"/>
/// and <see cref="PendingSettlements"/>, logged once per reservation, and retried at once by the pipeline's
/// <c>FlushAsync</c>. What is still pending when the process exits is lost with the process.</para>
/// <para>Arithmetic saturates: no sum wraps or throws (see <see cref="BudgetAmount.FromRecord"/>).</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The SemaphoreSlim's wait handle is never used, so it holds nothing that needs disposing.")]
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
    private readonly ILogger _logger;
    private readonly object _pendingGate = new();
    private readonly List<BudgetReservation> _pending = [];
    private readonly SemaphoreSlim _retryRound = new(1, 1); // its wait handle is never used: nothing to dispose
    private Task? _retryLoop;
    private long _denials;
    private long _settlementFailures;

    /// <summary>Creates a manager.</summary>
    /// <param name="policies">The policies; names must be unique.</param>
    /// <param name="store">The counters' store; <see cref="InMemoryBudgetStore"/> for one process.</param>
    /// <param name="timeProvider">The clock that places usage in windows.</param>
    /// <param name="countRecordedUsage">See <see cref="BudgetOptions.CountRecordedUsage"/>.</param>
    /// <param name="logger">Where store failures that nobody else sees (in <see cref="BudgetReservation.Dispose"/> and the background retry) are logged; none when null.</param>
    /// <exception cref="ArgumentException">A policy is invalid or two share a name; the message names it.</exception>
    public BudgetManager(IEnumerable<BudgetPolicy> policies, IBudgetStore store, TimeProvider timeProvider, bool countRecordedUsage = true, ILogger? logger = null)
        : this(policies, store, timeProvider, countRecordedUsage, BudgetObservationQueue.DefaultCapacity, logger)
    {
    }

    /// <summary>Tests: a manager whose queue of recorded usage for an asynchronous store holds <paramref name="observationCapacity"/> records.</summary>
    internal BudgetManager(IEnumerable<BudgetPolicy> policies, IBudgetStore store, TimeProvider timeProvider, bool countRecordedUsage, int observationCapacity, ILogger? logger = null)
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
        _logger = logger ?? NullLogger.Instance;

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
    /// <param name="logger">Where store failures that nobody else sees are logged; none when null.</param>
    public BudgetManager(IOptions<BudgetOptions> options, IBudgetStore store, TimeProvider timeProvider, ILogger<BudgetManager>? logger = null)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.Policies, store, timeProvider, options.Value.CountRecordedUsage, logger)
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

    /// <summary>
    /// Gets how many times the store failed to take a commit or release (thrown to the caller, in
    /// <see cref="BudgetReservation.Dispose"/>, or in a background retry) since the manager was created.
    /// </summary>
    public long SettlementFailures => Interlocked.Read(ref _settlementFailures);

    /// <summary>
    /// Gets how many disposed reservations (and give-backs of failed reservations) wait for the store to take their
    /// commit or release; the manager retries them in the background until it does.
    /// </summary>
    public int PendingSettlements
    {
        get
        {
            lock (_pendingGate)
            {
                return _pending.Count;
            }
        }
    }

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
                BudgetStoreResult result;
                try
                {
                    result = await _store.TryAddAsync(counter, amount, limit, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (IsStoreFailure(exception, cancellationToken))
                {
                    throw new BudgetStoreException(policy.Name, key, BudgetStoreOperation.Reserve, exception);
                }

                if (!result.Admitted)
                {
                    Interlocked.Increment(ref _denials);
                    Denied?.Invoke(policy.Name);
                    throw await DenialAsync(policy, counter, amount, result, cancellationToken).ConfigureAwait(false);
                }

                holds.Add(new Hold(policy, counter, amount));
                Warn(policy, counter, result.Used - amount, result.Used);
            }
        }
        catch when (holds.Count > 0)
        {
            // Give back what this reservation already holds, each policy on its own (a failing give-back is retried
            // in the background, never skips the others); never with the caller's token, which may be the cause.
            await new BudgetReservation(this, [.. holds], estimate).DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new BudgetReservation(this, [.. holds], estimate);
    }

    /// <summary>The denial of <paramref name="amount"/> under <paramref name="policy"/>, with when it would fit.</summary>
    private async ValueTask<BudgetExceededException> DenialAsync(BudgetPolicy policy, BudgetCounter counter, decimal amount, BudgetStoreResult result, CancellationToken cancellationToken)
    {
        var window = policy.Window;
        DateTimeOffset? windowEnd = null;
        DateTimeOffset? retryAt = null;
        var fits = amount <= policy.Limit;
        switch (window.Kind)
        {
            case BudgetWindowKind.UtcDay:
            case BudgetWindowKind.UtcMonth:
                windowEnd = window.GetEnd(counter.At);
                retryAt = fits ? windowEnd : null;
                break;
            case BudgetWindowKind.Rolling when fits:
                // From the store's buckets (one more store call, on denials only); a store that does not say gets the
                // safe bound: everything counted now has left a bucketed window after Duration + one bucket.
                try
                {
                    retryAt = await _store.GetRetryAtAsync(counter, amount, policy.Limit, cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Only the retry hint is lost: the denial itself must reach the caller.
                catch (Exception)
#pragma warning restore CA1031
                {
                    retryAt = null;
                }

                retryAt ??= Saturating(counter.At, window.Duration + TimeSpan.FromTicks(InMemoryBudgetStore.BucketWidth(window)));
                break;
        }

        TimeSpan? retryAfter = retryAt is { } moment ? (moment > counter.At ? moment - counter.At : TimeSpan.Zero) : null;
        return new BudgetExceededException(policy, counter.SubjectKey, policy.Limit, result.Used, amount, windowEnd, retryAfter);
    }

    private static DateTimeOffset Saturating(DateTimeOffset at, TimeSpan by) =>
        at > DateTimeOffset.MaxValue - by ? DateTimeOffset.MaxValue : at + by;

    private static bool IsStoreFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is not BudgetStoreException && !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested);

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

        try
        {
            return await _store.GetUsedAsync(new BudgetCounter(policy.Name, key, policy.Window, _timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsStoreFailure(exception, cancellationToken))
        {
            throw new BudgetStoreException(policy.Name, key, BudgetStoreOperation.Read, exception);
        }
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

    /// <summary>Waits for the background counting of recorded usage, then retries pending settlements once, at once.</summary>
    async Task IUsageObserver.DrainAsync(CancellationToken cancellationToken)
    {
        if (_observations is not null)
        {
            await _observations.DrainAsync(cancellationToken).ConfigureAwait(false);
        }

        if (PendingSettlements > 0)
        {
            await RetryPendingAsync(cancellationToken).ConfigureAwait(false);
        }
    }

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

            await AdjustAsync(new Hold(policy, new BudgetCounter(policy.Name, key, policy.Window, at), 0m), delta, BudgetStoreOperation.Commit, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool ShouldObserve(UsageRecord record) =>
        _countRecordedUsage && _policies.Length > 0 && !(record.Tags is { } tags && tags.ContainsKey(ReservationTagKey));

    /// <summary>Adds <paramref name="delta"/> to a hold's counter; a store failure becomes a <see cref="BudgetStoreException"/> naming the policy.</summary>
    internal async ValueTask AdjustAsync(Hold hold, decimal delta, BudgetStoreOperation operation, CancellationToken cancellationToken)
    {
        decimal used;
        try
        {
            used = await _store.AdjustAsync(hold.Counter, delta, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsStoreFailure(exception, cancellationToken))
        {
            throw new BudgetStoreException(hold.Policy.Name, hold.Counter.SubjectKey, operation, exception);
        }

        Warn(hold.Policy, hold.Counter, BudgetMath.Add(used, -delta), used);
    }

    /// <summary>Counts (and, unless the caller sees it, logs) a store failure on a commit or release.</summary>
    internal void ReportSettlementFailure(BudgetReservation reservation, Exception exception, bool logged = true)
    {
        Interlocked.Increment(ref _settlementFailures);
        if (!logged)
        {
            return;
        }

        try
        {
            BudgetLog.SettlementFailed(_logger, exception, reservation.Id, reservation.IsCommitPending ? "commit" : "release");
        }
#pragma warning disable CA1031 // A throwing logger must not turn Dispose into a throw; the counter still says it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Takes a reservation whose pending commit or release the store refused; retries it until it lands.</summary>
    internal void RetryInBackground(BudgetReservation reservation)
    {
        lock (_pendingGate)
        {
            _pending.Add(reservation);
            if (_retryLoop is not null)
            {
                return;
            }

            // Not under the caller's ExecutionContext: the loop outlives the request that started it.
            var restore = !ExecutionContext.IsFlowSuppressed();
            var flow = restore ? ExecutionContext.SuppressFlow() : default;
            try
            {
                _retryLoop = Task.Run(RetryLoopAsync);
            }
            finally
            {
                if (restore)
                {
                    flow.Undo();
                }
            }
        }
    }

    /// <summary>Tests: the background retry loop while it runs (it ends once nothing is pending), else null.</summary>
    internal Task? RetryLoop
    {
        get
        {
            lock (_pendingGate)
            {
                return _retryLoop;
            }
        }
    }

    /// <summary>One attempt at every pending settlement, now (serialized with the background loop's attempts).</summary>
    internal async Task RetryPendingAsync(CancellationToken cancellationToken)
    {
        await _retryRound.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BudgetReservation[] pending;
            lock (_pendingGate)
            {
                pending = [.. _pending];
            }

            foreach (var reservation in pending)
            {
                if (await reservation.TryFinishInBackgroundAsync().ConfigureAwait(false))
                {
                    lock (_pendingGate)
                    {
                        _pending.Remove(reservation);
                    }

                    try
                    {
                        BudgetLog.SettlementLanded(_logger, reservation.Id, reservation.State);
                    }
#pragma warning disable CA1031 // A throwing logger must not stop the retries.
                    catch (Exception)
#pragma warning restore CA1031
                    {
                    }
                }
            }
        }
        finally
        {
            _retryRound.Release();
        }
    }

    private async Task RetryLoopAsync()
    {
        var delay = RetryDelay;
        while (true)
        {
            await Task.Delay(delay, _timeProvider).ConfigureAwait(false);
            var before = PendingSettlements;
            await RetryPendingAsync(CancellationToken.None).ConfigureAwait(false);
            lock (_pendingGate)
            {
                if (_pending.Count == 0)
                {
                    _retryLoop = null;
                    return;
                }

                // Back off while the store keeps refusing; start over once something landed.
                delay = _pending.Count < before ? RetryDelay : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>The first delay of the background retry of pending settlements.</summary>
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two background retries.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

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
