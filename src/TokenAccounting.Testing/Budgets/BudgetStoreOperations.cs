namespace TokenAccounting.Testing;

/// <summary>The <see cref="IBudgetStore"/> operations a <see cref="FakeBudgetStore"/> can be told to fail.</summary>
[Flags]
public enum BudgetStoreOperations
{
    /// <summary>No operation.</summary>
    None = 0,

    /// <summary><see cref="IBudgetStore.TryAddAsync"/> (reservations and usage counting).</summary>
    TryAdd = 1,

    /// <summary><see cref="IBudgetStore.AdjustAsync"/> (commits and releases).</summary>
    Adjust = 2,

    /// <summary><see cref="IBudgetStore.GetUsedAsync"/> (reads).</summary>
    GetUsed = 4,

    /// <summary>Every operation.</summary>
    All = TryAdd | Adjust | GetUsed,
}
