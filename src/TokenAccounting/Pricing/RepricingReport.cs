namespace TokenAccounting;

/// <summary>The result of re-pricing stored records against another catalog (<see cref="UsageRepricer"/>).</summary>
public sealed class RepricingReport
{
    internal RepricingReport(IReadOnlyList<ModelCostChange> models)
    {
        Models = models;
        foreach (var model in models)
        {
            OldTotal += model.OldTotal;
            NewTotal += model.NewTotal;
            Records += model.Records;
        }
    }

    /// <summary>Gets the total of the old costs.</summary>
    public decimal OldTotal { get; }

    /// <summary>Gets the total of the new costs.</summary>
    public decimal NewTotal { get; }

    /// <summary>Gets <see cref="NewTotal"/> − <see cref="OldTotal"/>.</summary>
    public decimal Delta => NewTotal - OldTotal;

    /// <summary>Gets how many records were re-priced.</summary>
    public long Records { get; }

    /// <summary>Gets the change per (provider, model), ordered by model then provider.</summary>
    public IReadOnlyList<ModelCostChange> Models { get; }
}
