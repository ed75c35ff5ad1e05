using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TokenAccounting;
using TokenAccounting.Testing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Replaces the real recorder with a <see cref="FakeUsageRecorder"/> in an app's container, for integration tests.</summary>
public static class FakeRecorderTokenAccountingBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="FakeUsageRecorder"/> (resolvable as itself) as the <see cref="IUsageRecorder"/>, replacing
    /// the real recorder, so everything the app records is visible at once, without flushing. The fake uses the
    /// container's <see cref="TimeProvider"/>, the price catalog of <c>AddPricing()</c>, the options' CaptureText,
    /// and counts usage into the budgets of <c>AddBudgets()</c>, as the real recorder would. Sinks are not written.
    /// Call it after <c>AddTokenAccounting()</c> (a later <c>AddTokenAccounting()</c> keeps the fake).
    /// </summary>
    /// <remarks>
    /// Code that resolves the concrete <see cref="UsageRecorder"/> (for its diagnostics) still gets a real one; resolve
    /// <see cref="IUsageRecorder"/>, as the Microsoft.Extensions.AI middleware does.
    /// </remarks>
    /// <param name="builder">The builder returned by <c>AddTokenAccounting()</c>.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder UseFakeRecorder(this ITokenAccountingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(static sp =>
        {
            var catalog = sp.GetService<IPriceCatalog>();
            var pricingDiagnostics = sp.GetService<PricingDiagnostics>();
            return new FakeUsageRecorder(
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IOptions<TokenAccountingOptions>>()?.Value,
                pricer: catalog is null ? null : record => UsagePricing.Price(catalog, record, pricingDiagnostics),
                observers: sp.GetServices<IUsageObserver>());
        });
        builder.Services.RemoveAll<IUsageRecorder>();
        builder.Services.AddSingleton<IUsageRecorder>(static sp => sp.GetRequiredService<FakeUsageRecorder>());
        return builder;
    }
}
