using Microsoft.Extensions.AI;

namespace TokenAccounting;

/// <summary>
/// What accounting knows about one call, from start to end: the part <see cref="UsageAccountant"/> reads and writes.
/// Each middleware derives the call of its interface, which says how the request is measured and attributed and how
/// the response is turned into usage.
/// </summary>
internal abstract class AccountedCall
{
    /// <summary>Gets or sets the requested model, else the inner service's default, else <see cref="TokenAccountingChatClientOptions.UnknownModel"/>.</summary>
    public string Model { get; set; } = TokenAccountingChatClientOptions.UnknownModel;

    public DateTimeOffset StartedAt { get; set; }

    public long StartTimestamp { get; set; }

    /// <summary>Gets or sets how many messages the request carries (chat), or null where no context window applies.</summary>
    public int? HistoryLength { get; set; }

    public UsageAttribution? Attribution { get; set; }

    public UsageTrackerRequest? TrackedRequest { get; set; }

    public IUsageGateLease? Lease { get; set; }

    public string? ResponseModel { get; set; }

    /// <summary>Gets or sets the usage the provider reported (for a stream, the sum of its usage contents).</summary>
    public UsageDetails? Usage { get; set; }

    /// <summary>Gets whether the call pairs with the <see cref="UsageTracker"/> of the flow (chat: it fills a context window).</summary>
    public abstract bool IsTracked { get; }

    /// <summary>Gets whether the provider may have billed a call that did not succeed (usage or content arrived before it ended).</summary>
    public virtual bool ConsumedBeforeEnd => false;

    /// <summary>Gets the caller's output cap, reserved by the budget gate.</summary>
    public virtual int? MaxOutputTokens => null;


    /// <summary>Gets the UTF-8 size of the request, for the gate's and the fallback input estimate.</summary>
    public abstract long RequestBytes { get; }

    /// <summary>Resolves <see cref="Attribution"/> (and what else the request says about the call). May throw; the accountant counts it.</summary>
    public abstract void Attribute();

    /// <summary>Lowers the call's output cap to what the gate admitted.</summary>
    /// <param name="cap">The most output tokens the lease allows.</param>
    public virtual void CapOutputTokens(int cap)
    {
    }

    /// <summary>
    /// Called once the call has ended on a path where nothing holds it any more (its record written, its tracker
    /// request closed): a call type that keeps spares may reuse it. Never called for a call that went through a gate.
    /// </summary>
    public virtual void Release()
    {
    }

    /// <summary>Returns the state this type holds to that of a new call, references dropped (for a call type that reuses its calls).</summary>
    protected virtual void Clear()
    {
        Model = TokenAccountingChatClientOptions.UnknownModel;
        StartedAt = default;
        StartTimestamp = 0;
        HistoryLength = null;
        Attribution = null;
        TrackedRequest = null;
        Lease = null;
        ResponseModel = null;
        Usage = null;
    }

    /// <summary>What the call consumed: reported usage, else an estimate. May throw; the accountant then writes no record.</summary>
    /// <param name="accountant">The accountant, for its estimator and its failure reports.</param>
    /// <returns>The call's usage as recorded.</returns>
    public abstract CallUsage Measure(UsageAccountant accountant);
}

/// <summary>A call made in one step: how the inner service is invoked, and what its response says.</summary>
/// <typeparam name="TResponse">The inner service's response.</typeparam>
internal interface IAccountedInvocation<TResponse>
{
    /// <summary>Calls the inner service with the request (as the gate may have capped it).</summary>
    Task<TResponse> Invoke(CancellationToken cancellationToken);

    /// <summary>Takes the response's model and usage into the call.</summary>
    void Complete(TResponse response);
}

/// <summary>What a call consumed, as recorded.</summary>
internal readonly record struct CallUsage(TokenCounts Tokens, UsageProvenance Provenance, string? ServiceTier, IReadOnlyDictionary<string, long>? ServerToolCalls)
{
    /// <summary>Nothing consumed (a refused call, or a record built after the real one failed to build).</summary>
    public static CallUsage Nothing => new(TokenCounts.Zero, UsageProvenance.Estimated, null, null);
}
