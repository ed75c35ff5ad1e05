namespace TokenAccounting;

/// <summary>
/// The prices of a provider service tier (batch, priority, flex). A request in a service tier the model has no
/// variant for is priced at the base prices.
/// </summary>
/// <remarks>
/// When the base price has long-context tiers and this variant has none, requests above a base threshold are
/// priced with the base schedule (its long-context rates), not with <see cref="Rates"/>.
/// </remarks>
public sealed class ServiceTierPrice
{
    /// <summary>Gets the prices of the service tier. Required.</summary>
    public required TokenRates Rates
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Rates));
            field = value;
        }
    }

    /// <summary>Gets the service tier's own long-context tier, or null.</summary>
    public PriceTier? LongContext { get; init; }

    /// <summary>Gets the service tier's further long-context tiers beyond <see cref="LongContext"/>.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<PriceTier> AdditionalTiers
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(AdditionalTiers));
            field = [.. value];
        }
    } = [];
}
