namespace TokenAccounting;

/// <summary>
/// An estimate held against every matching <see cref="BudgetPolicy"/> until the call finishes: <see cref="Commit(BudgetAmount)"/>
/// the actual usage, or <see cref="Release"/> it on failure. Disposing a reservation that was not committed releases it.
/// </summary>
/// <remarks>
/// <para>The state changes only once the store has taken the change for every policy. When the store fails, commit
/// and release throw <see cref="BudgetStoreException"/> (naming the policy) and the reservation stays
/// <see cref="BudgetReservationState.Held"/>: call the same method again to retry it (a commit must be retried with the
/// same amount; the policies already settled are not settled twice).</para>
/// <para><see cref="Dispose"/> and <see cref="DisposeAsync"/> never throw. They finish what is pending — the commit
/// that failed, or else a release — and if the store fails they log it, count it
/// (<see cref="BudgetManager.SettlementFailures"/>) and hand it to the manager, which retries it in the background
/// until it lands (<see cref="BudgetManager.PendingSettlements"/>); the hold is never leaked, nor an overrun lost,
/// while the process runs.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var reservation = await budgets.ReserveAsync(BudgetAmount.FromTokens(4_000));
/// var response = await client.GetResponseAsync(messages);   // throws → DisposeAsync releases the hold
/// recorder.Record(await reservation.CommitAsync(record));   // counts the actual usage, marks the record
/// </code>
/// </example>
public sealed class BudgetReservation : IDisposable, IAsyncDisposable
{
    private const int NoIntent = 0;
    private const int CommitIntent = 1;
    private const int ReleaseIntent = 2;

    private readonly BudgetManager _manager;
    private readonly BudgetManager.Hold[] _holds;
    private readonly object _gate = new();
    private int _state;
    private int _intent;
    private BudgetAmount _actual;
    private bool[]? _done; // per hold, once the store took its part of a settlement that failed elsewhere
    private bool _busy;
    private bool _inBackground;

    internal BudgetReservation(BudgetManager manager, BudgetManager.Hold[] holds, BudgetAmount estimate)
    {
        _manager = manager;
        _holds = holds;
        Estimate = estimate;
        Id = Guid.NewGuid().ToString("N");
    }

    /// <summary>Gets the reservation's id (carried by records committed through it, see <see cref="BudgetManager.ReservationTagKey"/>).</summary>
    public string Id { get; }

    /// <summary>Gets the estimate that was reserved.</summary>
    public BudgetAmount Estimate { get; }

    /// <summary>
    /// Gets the reservation's state: <see cref="BudgetReservationState.Held"/> until the store has taken a commit or a
    /// release for every policy.
    /// </summary>
    public BudgetReservationState State => (BudgetReservationState)Volatile.Read(ref _state);

    /// <summary>Gets the names of the policies the estimate is held against.</summary>
    public IReadOnlyList<string> PolicyNames => Array.ConvertAll(_holds, h => h.Policy.Name);

    /// <summary>
    /// Replaces the estimate with the actual usage in every policy (the difference is added or given back). Never
    /// denies: the call has happened; an overrun is counted and later reservations see it. Blocks on an asynchronous
    /// store: prefer <see cref="CommitAsync(BudgetAmount, CancellationToken)"/> there.
    /// </summary>
    /// <param name="actual">The actual usage.</param>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released, or a commit of another amount is pending.</exception>
    /// <exception cref="BudgetStoreException">The store failed; the reservation is still held and the commit can be retried.</exception>
    public void Commit(BudgetAmount actual) => BudgetManager.Wait(CommitAsync(actual, CancellationToken.None));

    /// <summary>
    /// Commits the usage of <paramref name="record"/> (<see cref="TokenCounts.Total"/> and <see cref="UsageCost.Total"/>;
    /// when the record has no cost, the estimated cost is kept) and returns the record tagged with
    /// <see cref="BudgetManager.ReservationTagKey"/>, so that the budgets do not count it again when it is recorded.
    /// Blocks on an asynchronous store: prefer <see cref="CommitAsync(UsageRecord, CancellationToken)"/> there.
    /// </summary>
    /// <param name="record">The record of the call.</param>
    /// <returns>The record to pass to <see cref="IUsageRecorder.Record"/>.</returns>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released.</exception>
    /// <exception cref="BudgetStoreException">The store failed; the reservation is still held and the commit can be retried.</exception>
    public UsageRecord Commit(UsageRecord record) => BudgetManager.Wait(CommitAsync(record, CancellationToken.None));

    /// <summary>As <see cref="Commit(UsageRecord)"/>, without blocking on an asynchronous store.</summary>
    /// <param name="record">The record of the call.</param>
    /// <param name="cancellationToken">Cancels the store operations (the reservation then stays held).</param>
    /// <returns>The record to pass to <see cref="IUsageRecorder.Record"/>.</returns>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released.</exception>
    /// <exception cref="BudgetStoreException">The store failed; the reservation is still held and the commit can be retried.</exception>
    public async ValueTask<UsageRecord> CommitAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await CommitAsync(ActualOf(record), cancellationToken).ConfigureAwait(false);
        return Tag(record);
    }

    /// <summary>As <see cref="Commit(BudgetAmount)"/>, without blocking on an asynchronous store.</summary>
    /// <param name="actual">The actual usage.</param>
    /// <param name="cancellationToken">Cancels the store operations (the reservation then stays held).</param>
    /// <returns>A task that completes when the usage is committed.</returns>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released, or a commit of another amount is pending.</exception>
    /// <exception cref="BudgetStoreException">The store failed; the reservation is still held and the commit can be retried.</exception>
    public ValueTask CommitAsync(BudgetAmount actual, CancellationToken cancellationToken = default)
    {
        actual.Validate(nameof(actual));
        lock (_gate)
        {
            switch ((BudgetReservationState)_state)
            {
                case BudgetReservationState.Committed:
                    throw new InvalidOperationException($"The budget reservation {Id} was already committed; commit it once.");
                case BudgetReservationState.Released:
                    throw new InvalidOperationException($"The budget reservation {Id} was already released; it cannot be committed after releasing it.");
            }

            if (_inBackground)
            {
                throw new InvalidOperationException($"The budget reservation {Id} was disposed; what it had pending is being retried in the background.");
            }

            if (_intent == ReleaseIntent)
            {
                throw new InvalidOperationException($"The budget reservation {Id} has a release pending (the store failed); retry Release, not Commit.");
            }

            if (_intent == CommitIntent && _actual != actual)
            {
                throw new InvalidOperationException($"The budget reservation {Id} has a commit of {_actual} pending (the store failed); retry it with the same amount.");
            }

            Begin();
            _intent = CommitIntent;
            _actual = actual;
        }

        return SettleAsync(cancellationToken);
    }

    /// <summary>
    /// Gives the estimate back (for example when the call failed). Does nothing once committed or released. Blocks on
    /// an asynchronous store: prefer <see cref="ReleaseAsync"/> there.
    /// </summary>
    /// <exception cref="InvalidOperationException">A commit is pending (the store failed on it): retry the commit instead.</exception>
    /// <exception cref="BudgetStoreException">The store failed; the reservation is still held and the release can be retried.</exception>
    public void Release() => BudgetManager.Wait(ReleaseAsync(CancellationToken.None));

    /// <summary>As <see cref="Release"/>, without blocking on an asynchronous store.</summary>
    /// <param name="cancellationToken">Cancels the store operations (the reservation then stays held).</param>
    /// <returns>A task that completes when the estimate is given back.</returns>
    /// <exception cref="InvalidOperationException">A commit is pending (the store failed on it): retry the commit instead.</exception>
    /// <exception cref="BudgetStoreException">The store failed; the reservation is still held and the release can be retried.</exception>
    public ValueTask ReleaseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state != (int)BudgetReservationState.Held || _inBackground)
            {
                return ValueTask.CompletedTask;
            }

            if (_intent == CommitIntent)
            {
                throw new InvalidOperationException($"The budget reservation {Id} has a commit of {_actual} pending (the store failed); retry the commit, or dispose the reservation to retry it in the background.");
            }

            Begin();
            _intent = ReleaseIntent;
        }

        return SettleAsync(cancellationToken);
    }

    /// <summary>
    /// Finishes what is pending — a commit whose store call failed, or else a release — and never throws: a store
    /// failure is logged, counted and retried in the background by the manager. Blocks on an asynchronous store:
    /// prefer <see cref="DisposeAsync"/> there.
    /// </summary>
    public void Dispose()
    {
        try
        {
            BudgetManager.Wait(DisposeAsync());
        }
#pragma warning disable CA1031 // Dispose never throws: DisposeAsync already handled every store failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>As <see cref="Dispose"/>, without blocking on an asynchronous store. Never throws.</summary>
    /// <returns>A task that completes when the pending change landed or was handed to the background retry.</returns>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_state != (int)BudgetReservationState.Held || _inBackground || _busy)
            {
                // Done, already retried in the background, or being settled right now by another call.
                return;
            }

            _busy = true;
            if (_intent == NoIntent)
            {
                _intent = ReleaseIntent;
            }
        }

        try
        {
            await SettleCoreAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (BudgetStoreException exception)
        {
            _manager.ReportSettlementFailure(this, exception);
            lock (_gate)
            {
                _inBackground = true;
            }

            _manager.RetryInBackground(this);
        }
#pragma warning disable CA1031 // Dispose never throws; anything else (a bug) is logged and counted.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _manager.ReportSettlementFailure(this, exception);
        }
        finally
        {
            lock (_gate)
            {
                _busy = false;
            }
        }
    }

    internal bool IsCommitPending => Volatile.Read(ref _intent) == CommitIntent;

    internal UsageRecord Tag(UsageRecord record)
    {
        var tags = record.Tags is null ? new Dictionary<string, string>(1, StringComparer.Ordinal) : new Dictionary<string, string>(record.Tags, StringComparer.Ordinal);
        tags[BudgetManager.ReservationTagKey] = Id;
        return record with { Tags = tags };
    }

    internal BudgetAmount ActualOf(UsageRecord record) =>
        new(BudgetMath.TotalTokens(record.Tokens), record.Cost is null ? Estimate.Cost : BudgetMath.TotalCost(record.Cost));

    /// <summary>The background retry: one attempt at what is pending; true once it landed.</summary>
    internal async ValueTask<bool> TryFinishInBackgroundAsync()
    {
        try
        {
            await SettleCoreAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // The retry loop counts the failure and tries again later.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _manager.ReportSettlementFailure(this, exception, logged: false);
            return false;
        }
    }

    /// <summary>Marks a settlement as running (under the gate).</summary>
    private void Begin()
    {
        if (_busy)
        {
            throw new InvalidOperationException($"The budget reservation {Id} is being committed or released by another call right now.");
        }

        _busy = true;
    }

    private async ValueTask SettleAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SettleCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BudgetStoreException exception)
        {
            _manager.ReportSettlementFailure(this, exception, logged: false);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                _busy = false;
            }
        }
    }

    /// <summary>
    /// Applies the pending change to every hold not yet settled, each on its own (a failing policy never skips the
    /// others); the state changes only once all landed. Throws the first store failure.
    /// </summary>
    private async ValueTask SettleCoreAsync(CancellationToken cancellationToken)
    {
        var commit = Volatile.Read(ref _intent) == CommitIntent;
        var operation = commit ? BudgetStoreOperation.Commit : BudgetStoreOperation.Release;
        Exception? failure = null;
        for (var i = 0; i < _holds.Length; i++)
        {
            if (_done is { } done && done[i])
            {
                continue;
            }

            var hold = _holds[i];
            var delta = commit ? _actual.In(hold.Policy.Unit) - hold.Amount : -hold.Amount;
            try
            {
                if (delta != 0)
                {
                    await _manager.AdjustAsync(hold, delta, operation, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (BudgetStoreException exception)
            {
                failure ??= exception;
                continue;
            }

            if (_holds.Length > 1)
            {
                (_done ??= new bool[_holds.Length])[i] = true;
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        Volatile.Write(ref _state, (int)(commit ? BudgetReservationState.Committed : BudgetReservationState.Released));
    }
}
