namespace TokenAccounting;

/// <summary>How re-pricing changed one model's cost.</summary>
/// <param name="Model">The record's model as recorded.</param>
/// <param name="Provider">The record's provider as recorded, or null.</param>
/// <param name="Records">How many records of the model were re-priced.</param>
/// <param name="OldTotal">The sum of the old costs (records without one count as 0; see <paramref name="UnpricedBefore"/>).</param>
/// <param name="NewTotal">The sum of the new costs (records the new catalog cannot price count as 0; see <paramref name="UnpricedAfter"/>).</param>
/// <param name="UnpricedBefore">How many records had no old cost.</param>
/// <param name="UnpricedAfter">How many records the new catalog could not price.</param>
public sealed record ModelCostChange(string Model, string? Provider, long Records, decimal OldTotal, decimal NewTotal, long UnpricedBefore, long UnpricedAfter)
{
    /// <summary>Gets <see cref="NewTotal"/> − <see cref="OldTotal"/>.</summary>
    public decimal Delta => NewTotal - OldTotal;
}
