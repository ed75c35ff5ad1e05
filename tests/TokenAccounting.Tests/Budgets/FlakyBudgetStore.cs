namespace TokenAccounting.Tests.Budgets;

/// <summary>An in-memory budget store that fails on command: the next N adjustments, or every call for one policy.</summary>
internal sealed class FlakyBudgetStore : IBudgetStore
{
    private readonly InMemoryBudgetStore _inner = new();
    private int _failAdjusts;
    private int _adjustCalls;

    public InMemoryBudgetStore Inner => _inner;

    /// <summary>Gets or sets the policy whose reservations fail; null for none.</summary>
    public string? FailTryAddFor { get; set; }

    /// <summary>Gets or sets the policy whose adjustments fail; null for every policy (as counted by <see cref="FailNextAdjusts"/>).</summary>
    public string? FailAdjustFor { get; set; }

    public int AdjustCalls => Volatile.Read(ref _adjustCalls);

    /// <summary>Makes the next <paramref name="count"/> adjustments (of <see cref="FailAdjustFor"/>, or of any policy) throw.</summary>
    public void FailNextAdjusts(int count) => Volatile.Write(ref _failAdjusts, count);

    public ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default) =>
        counter.PolicyName == FailTryAddFor
            ? throw new TimeoutException($"store timed out reserving {counter.PolicyName}")
            : _inner.TryAddAsync(counter, amount, limit, cancellationToken);

    public ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _adjustCalls);
        if ((FailAdjustFor is null || FailAdjustFor == counter.PolicyName) && Interlocked.Decrement(ref _failAdjusts) >= 0)
        {
            throw new TimeoutException($"store timed out adjusting {counter.PolicyName}");
        }

        return _inner.AdjustAsync(counter, delta, cancellationToken);
    }

    public ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default) =>
        _inner.GetUsedAsync(counter, cancellationToken);
}
