namespace TokenAccounting;

/// <summary>What a budget was doing when its <see cref="IBudgetStore"/> failed (see <see cref="BudgetStoreException"/>).</summary>
public enum BudgetStoreOperation
{
    /// <summary>Reserving an estimate (<see cref="BudgetManager.ReserveAsync"/>); nothing is held.</summary>
    Reserve = 0,

    /// <summary>Committing the actual usage of a reservation; the reservation stays held and can be committed again.</summary>
    Commit = 1,

    /// <summary>Giving a reservation's estimate back; the reservation stays held and can be released again.</summary>
    Release = 2,

    /// <summary>Reading the amount used (<see cref="BudgetManager.GetUsedAsync"/>).</summary>
    Read = 3,
}
