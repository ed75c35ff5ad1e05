namespace TokenAccounting;

/// <summary>The outcome of <see cref="IBudgetStore.TryAddAsync"/>.</summary>
/// <param name="Admitted">Whether the amount was added.</param>
/// <param name="Used">The amount used in the window after the operation (unchanged when not admitted).</param>
public readonly record struct BudgetStoreResult(bool Admitted, decimal Used)
{
    /// <summary>
    /// Gets, for an amount denied in a <see cref="BudgetWindowKind.Rolling"/> window, the earliest moment at which
    /// enough of the usage counted now has slid out of the window for the same amount to be admitted (assuming no other
    /// usage meanwhile), from the store's buckets; null when the amount can never fit (it exceeds the limit), for
    /// fixed windows (the manager derives those from the window), and when the store does not know (the manager then
    /// assumes the whole window length).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public DateTimeOffset? RetryAt { get; init; }
}
