namespace TokenAccounting;

/// <summary>
/// An estimate held against every matching <see cref="BudgetPolicy"/> until the call finishes: <see cref="Commit(BudgetAmount)"/>
/// the actual usage, or <see cref="Release"/> it on failure. Disposing a reservation that was not committed releases it.
/// </summary>
/// <example>
/// <code>
/// using var reservation = budgets.Reserve(BudgetAmount.FromTokens(4_000));
/// var response = await client.GetResponseAsync(messages);   // throws → Dispose releases the hold
/// recorder.Record(reservation.Commit(record));              // counts the actual usage, marks the record
/// </code>
/// </example>
public sealed class BudgetReservation : IDisposable, IAsyncDisposable
{
    private readonly BudgetManager _manager;
    private readonly BudgetManager.Hold[] _holds;
    private int _state;

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

    /// <summary>Gets the reservation's state.</summary>
    public BudgetReservationState State => (BudgetReservationState)Volatile.Read(ref _state);

    /// <summary>Gets the names of the policies the estimate is held against.</summary>
    public IReadOnlyList<string> PolicyNames => Array.ConvertAll(_holds, h => h.Policy.Name);

    /// <summary>
    /// Replaces the estimate with the actual usage in every policy (the difference is added or given back). Never
    /// denies: the call has happened; an overrun is counted and later reservations see it.
    /// </summary>
    /// <param name="actual">The actual usage.</param>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released.</exception>
    public void Commit(BudgetAmount actual) => BudgetManager.Wait(CommitAsync(actual, CancellationToken.None));

    /// <summary>
    /// Commits the usage of <paramref name="record"/> (<see cref="TokenCounts.Total"/> and <see cref="UsageCost.Total"/>;
    /// when the record has no cost, the estimated cost is kept) and returns the record tagged with
    /// <see cref="BudgetManager.ReservationTagKey"/>, so that the budgets do not count it again when it is recorded.
    /// </summary>
    /// <param name="record">The record of the call.</param>
    /// <returns>The record to pass to <see cref="IUsageRecorder.Record"/>.</returns>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released.</exception>
    public UsageRecord Commit(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Commit(new BudgetAmount(record.Tokens.Total, record.Cost?.Total ?? Estimate.Cost));
        var tags = record.Tags is null ? new Dictionary<string, string>(1, StringComparer.Ordinal) : new Dictionary<string, string>(record.Tags, StringComparer.Ordinal);
        tags[BudgetManager.ReservationTagKey] = Id;
        return record with { Tags = tags };
    }

    /// <summary>As <see cref="Commit(BudgetAmount)"/>, without blocking on an asynchronous store.</summary>
    /// <param name="actual">The actual usage.</param>
    /// <param name="cancellationToken">Cancels the store operations.</param>
    /// <returns>A task that completes when the usage is committed.</returns>
    /// <exception cref="InvalidOperationException">The reservation was already committed or released.</exception>
    public ValueTask CommitAsync(BudgetAmount actual, CancellationToken cancellationToken = default)
    {
        actual.Validate(nameof(actual));
        if (Interlocked.CompareExchange(ref _state, (int)BudgetReservationState.Committed, (int)BudgetReservationState.Held) != (int)BudgetReservationState.Held)
        {
            throw new InvalidOperationException($"The budget reservation {Id} was already {State.ToString().ToLowerInvariant()}; commit it once, and not after releasing it.");
        }

        return _manager.SettleAsync(_holds, actual, cancellationToken);
    }

    /// <summary>Gives the estimate back (for example when the call failed). Does nothing once committed or released.</summary>
    public void Release() => BudgetManager.Wait(ReleaseAsync(CancellationToken.None));

    /// <summary>As <see cref="Release"/>, without blocking on an asynchronous store.</summary>
    /// <param name="cancellationToken">Cancels the store operations.</param>
    /// <returns>A task that completes when the estimate is given back.</returns>
    public ValueTask ReleaseAsync(CancellationToken cancellationToken = default) =>
        Interlocked.CompareExchange(ref _state, (int)BudgetReservationState.Released, (int)BudgetReservationState.Held) == (int)BudgetReservationState.Held
            ? _manager.SettleAsync(_holds, actual: null, cancellationToken)
            : ValueTask.CompletedTask;

    /// <summary>Releases the reservation unless it was committed.</summary>
    public void Dispose() => Release();

    /// <summary>Releases the reservation unless it was committed.</summary>
    /// <returns>A task that completes when the estimate is given back.</returns>
    public ValueTask DisposeAsync() => ReleaseAsync(CancellationToken.None);
}
