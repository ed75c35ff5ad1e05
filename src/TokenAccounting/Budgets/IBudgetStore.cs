namespace TokenAccounting;

/// <summary>
/// Where budget counters live. The default <see cref="InMemoryBudgetStore"/> serves one process; a shared store
/// (for example PostgreSQL) lets many app instances enforce one budget. Implementations must be atomic per
/// counter: concurrent <see cref="TryAddAsync"/> calls never admit more than the limit.
/// </summary>
/// <remarks>
/// A SQL store can implement fixed windows (day, month, lifetime) with one row per
/// <c>(policy, subject, window_start)</c> and one statement:
/// <c>UPDATE budget SET used = used + @amount WHERE … AND used &lt; @limit AND used + @amount &lt;= @limit RETURNING used</c>
/// (after an <c>INSERT … ON CONFLICT DO NOTHING</c> of the row with <c>used = 0</c>). Rolling windows need the amounts
/// with their moments (or fine buckets) and a lock per counter.
/// </remarks>
public interface IBudgetStore
{
    /// <summary>
    /// Adds <paramref name="amount"/> to the counter when <paramref name="limit"/> is null, or atomically only when
    /// <c>used &lt; limit</c> and <c>used + amount ≤ limit</c> (so an exhausted budget denies even a zero amount).
    /// </summary>
    /// <param name="counter">The counter and moment.</param>
    /// <param name="amount">The amount to add; ≥ 0.</param>
    /// <param name="limit">The limit to enforce, or null to add unconditionally.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether it was admitted and the amount used afterwards.</returns>
    ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds <paramref name="delta"/> unconditionally (negative to release or to commit less than reserved) to the
    /// window that contains <see cref="BudgetCounter.At"/>; a window that has already ended for the store is left
    /// alone. The used amount never goes below zero.
    /// </summary>
    /// <param name="counter">The counter and the moment of the original reservation or usage.</param>
    /// <param name="delta">The change.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The amount used in that window afterwards.</returns>
    ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default);

    /// <summary>Gets the amount used in the window that contains <see cref="BudgetCounter.At"/>.</summary>
    /// <param name="counter">The counter and moment.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The amount used.</returns>
    ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default);

    /// <summary>
    /// For a <see cref="BudgetWindowKind.Rolling"/> window that just denied <paramref name="amount"/>: the earliest
    /// moment at which enough of the usage counted now will have slid out for the same amount to fit under
    /// <paramref name="limit"/>, assuming no other usage meanwhile (it feeds <see cref="BudgetExceededException.RetryAfter"/>).
    /// Called on denials only. The default implementation returns null, and the manager then assumes the whole window
    /// plus one bucket (<c>Duration + ⌈Duration / 60⌉</c>).
    /// </summary>
    /// <param name="counter">The counter and the moment of the denial.</param>
    /// <param name="amount">The amount that was denied.</param>
    /// <param name="limit">The limit it was denied under.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The moment, or null when unknown or for other windows.</returns>
    ValueTask<DateTimeOffset?> GetRetryAtAsync(BudgetCounter counter, decimal amount, decimal limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<DateTimeOffset?>(null);
}
