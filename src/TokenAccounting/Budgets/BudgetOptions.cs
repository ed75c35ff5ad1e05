namespace TokenAccounting;

/// <summary>Options of <see cref="BudgetManager"/>.</summary>
public sealed class BudgetOptions
{
    /// <summary>Gets the policies; names must be unique.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<BudgetPolicy> Policies { get; } = [];

    /// <summary>
    /// Gets or sets whether recorded usage that did not go through a reservation (records without
    /// <see cref="BudgetManager.ReservationTagKey"/>) is counted into the matching windows by the pipeline.
    /// Turn it off when every call reserves and commits amounts itself without tagging its records.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool CountRecordedUsage { get; set; } = true;
}
