namespace TokenAccounting;

/// <summary>The outcome of <see cref="IBudgetStore.TryAddAsync"/>.</summary>
/// <param name="Admitted">Whether the amount was added.</param>
/// <param name="Used">The amount used in the window after the operation (unchanged when not admitted).</param>
public readonly record struct BudgetStoreResult(bool Admitted, decimal Used);
