namespace TokenAccounting;

/// <summary>The life cycle of a <see cref="BudgetReservation"/>.</summary>
public enum BudgetReservationState
{
    /// <summary>The estimate is held against every matching policy.</summary>
    Held = 0,

    /// <summary>The actual usage replaced the estimate.</summary>
    Committed = 1,

    /// <summary>The estimate was given back (failure, cancellation or disposal without commit).</summary>
    Released = 2,
}
