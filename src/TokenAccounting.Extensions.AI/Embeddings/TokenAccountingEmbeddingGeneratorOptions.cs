using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>Options of the accounting <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> middleware created by <c>UseTokenAccounting(...)</c> or <c>WithTokenAccounting(...)</c>.</summary>
public sealed class TokenAccountingEmbeddingGeneratorOptions : IAccountingOptions
{
    /// <summary>Gets or sets the provider recorded on every call, overriding <see cref="EmbeddingGeneratorMetadata.ProviderName"/>.</summary>
    /// <value>The default value is <see langword="null"/>: the inner generator's metadata decides.</value>
    public string? ProviderName { get; set; }

    /// <summary>
    /// Gets or sets a function that resolves who caused a call from its options. It runs before the inner call; an
    /// exception from it is logged and counted, and the call proceeds unattributed.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: attribution comes from scopes only.</value>
    public Func<EmbeddingGenerationOptions?, UsageAttribution?>? AttributionResolver { get; set; }

    /// <summary>Gets or sets the estimator used when a call ends without reported usage (input bytes per token).</summary>
    /// <value>The default value is <see cref="UsageEstimator.Default"/>; from DI, the ratios of the registered <see cref="TokenAccountingOptions"/>.</value>
    public UsageEstimator Estimator { get; set; } = UsageEstimator.Default;

    /// <summary>Gets or sets the clock for the record's timestamps and latency.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>; from DI, the registered <see cref="TimeProvider"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the logger for failures inside accounting (they are logged and counted, never thrown).</summary>
    /// <value>The default value is <see langword="null"/> (no logging); from DI, a logger from the registered <see cref="ILoggerFactory"/>.</value>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Gets or sets the budgets to enforce: the estimated input is reserved before each call (a denial throws
    /// <see cref="BudgetExceededException"/> before anything reaches the inner generator) and the actual usage committed
    /// after. The <c>IServiceProvider</c> overload takes the <see cref="BudgetManager"/> registered by <c>AddBudgets()</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no budgets).</value>
    public BudgetManager? Budgets { get; set; }

    /// <summary>Gets or sets the price catalog used to estimate and commit costs against USD budgets.</summary>
    /// <value>The default value is <see langword="null"/>; the <c>IServiceProvider</c> overload takes the registered <see cref="IPriceCatalog"/>.</value>
    public IPriceCatalog? PriceCatalog { get; set; }

    internal IUsageGate? Gate { get; set; }

    IUsageGate? IAccountingOptions.Gate => Gate;

    // An embedding has no output to reserve or cap.
    int IAccountingOptions.DefaultOutputTokenEstimate => 0;

    bool IAccountingOptions.CapOutputTokensToBudget => false;
}
