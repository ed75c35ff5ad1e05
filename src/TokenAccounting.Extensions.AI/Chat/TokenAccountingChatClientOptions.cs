using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>Options of the accounting <see cref="IChatClient"/> middleware created by <c>UseTokenAccounting(...)</c> or <c>WithTokenAccounting(...)</c>.</summary>
public sealed class TokenAccountingChatClientOptions : IAccountingOptions
{
    /// <summary>
    /// The model recorded when neither <see cref="ChatOptions.ModelId"/> nor the client's
    /// <see cref="ChatClientMetadata.DefaultModelId"/> names one: <c>"unknown"</c>.
    /// </summary>
    public const string UnknownModel = "unknown";

    /// <summary>Gets or sets the provider recorded on every call, overriding <see cref="ChatClientMetadata.ProviderName"/>.</summary>
    /// <value>The default value is <see langword="null"/>: the inner client's metadata decides.</value>
    public string? ProviderName { get; set; }

    /// <summary>
    /// Gets or sets a function that resolves who caused a call (user, tenant, API key id, route, service tier,
    /// correlation id, tags) from the request. It runs before the inner call. An exception from it is logged and
    /// counted, and the call proceeds unattributed. Values it leaves null are inherited from the enclosing
    /// <see cref="UsageScope"/> by the recorder.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: attribution comes from scopes only.</value>
    public Func<IEnumerable<ChatMessage>, ChatOptions?, UsageAttribution?>? AttributionResolver { get; set; }

    /// <summary>
    /// Gets or sets whether the <see cref="UsageContent"/> items of one stream are cumulative snapshots rather than
    /// increments. When false (M.E.AI's contract, followed by <c>ToChatResponse()</c>), every
    /// <see cref="UsageContent"/> is added. When true, for each count the latest reported value wins; set it for an
    /// adapter that repeats running totals.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool StreamingUsageIsCumulative { get; set; }

    /// <summary>Gets or sets the estimator used when a call ends without reported usage.</summary>
    /// <value>
    /// The default value is <see cref="UsageEstimator.Default"/> (4 request bytes per input token, 1 output token per
    /// streamed chunk); from DI, the ratios of the registered <see cref="TokenAccountingOptions"/>.
    /// </value>
    public UsageEstimator Estimator { get; set; } = UsageEstimator.Default;

    /// <summary>Gets or sets the clock for <see cref="UsageRecord.StartedAt"/>, <see cref="UsageRecord.CompletedAt"/> and <see cref="UsageRecord.Latency"/>.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>; from DI, the registered <see cref="TimeProvider"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the logger for failures inside accounting (they are logged and counted, never thrown).</summary>
    /// <value>The default value is <see langword="null"/> (no logging); from DI, a logger from the registered <see cref="ILoggerFactory"/>.</value>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Gets or sets the budgets to enforce: before each call an estimate (input from the request size, output from
    /// <c>ChatOptions.MaxOutputTokens</c> or <see cref="DefaultOutputTokenEstimate"/>) is reserved, and a denial throws
    /// <see cref="BudgetExceededException"/> before anything reaches the inner client; the actual usage is committed
    /// after the call and the reservation released when the call consumed nothing. The <c>IServiceProvider</c>
    /// overload takes the <see cref="BudgetManager"/> registered by <c>AddBudgets()</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no budgets).</value>
    public BudgetManager? Budgets { get; set; }

    /// <summary>Gets or sets the price catalog used to estimate and commit costs against USD budgets.</summary>
    /// <value>The default value is <see langword="null"/>; the <c>IServiceProvider</c> overload takes the registered <see cref="IPriceCatalog"/>.</value>
    public IPriceCatalog? PriceCatalog { get; set; }

    /// <summary>Gets or sets the output tokens reserved for a call that sets no <c>ChatOptions.MaxOutputTokens</c>.</summary>
    /// <value>The default value is 1024.</value>
    public int DefaultOutputTokenEstimate { get; set; } = 1024;

    /// <summary>
    /// Gets or sets whether <c>ChatOptions.MaxOutputTokens</c> is lowered to what the hard token budgets still allow
    /// (on a copy of the options; the caller's are never changed).
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool CapOutputTokensToBudget { get; set; }

    internal IUsageGate? Gate { get; set; }

    IUsageGate? IAccountingOptions.Gate => Gate;
}
