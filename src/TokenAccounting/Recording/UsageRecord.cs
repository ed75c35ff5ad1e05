using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// What one LLM or embedding call consumed, who caused it, and how it ended. Immutable: derive variants with
/// <c>with</c>. Only <see cref="Model"/> is required; the recorder stamps <see cref="Id"/> and
/// <see cref="CompletedAt"/> when absent and fills user, tenant, tags and <see cref="ScopePath"/> from the
/// enclosing <see cref="UsageScope"/>s when the record does not set them.
/// </summary>
public sealed record UsageRecord
{
    // The last instance of each repeating field that passed Validate (see UsageStringRules.CheckRepeated).
    private static string? s_validModel;
    private static string? s_validResponseModel;
    private static string? s_validProvider;
    private static string? s_validOperation;
    private static string? s_validUserId;
    private static string? s_validTenantId;
    private static string? s_validApiKeyId;
    private static string? s_validRoute;
    private static string? s_validServiceTier;
    private static string? s_validScopePath;
    private static string? s_validDegradedReason;

    /// <summary>Gets the unique id of the record; assigned by the pipeline when absent.</summary>
    public string? Id { get; init; }

    /// <summary>Gets the model that was requested, for example <c>"gpt-4o"</c>. Required, not empty.</summary>
    public required string Model { get; init; }

    /// <summary>Gets the model the provider says answered (for example a dated snapshot), when known.</summary>
    public string? ResponseModel { get; init; }

    /// <summary>Gets the provider, for example <c>"openai"</c>, <c>"anthropic"</c>, <c>"gcp.gemini"</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the kind of call. The default is <see cref="UsageOperation.Chat"/>.</summary>
    public UsageOperation Operation { get; init; }

    /// <summary>Gets the normalized token counts.</summary>
    public TokenCounts Tokens { get; init; }

    /// <summary>Gets whether the counts were reported by the provider or estimated.</summary>
    public UsageProvenance Provenance { get; init; }

    /// <summary>Gets how the call ended.</summary>
    public UsageOutcome Outcome { get; init; }

    /// <summary>
    /// Gets a stable, GROUP-BY-able token that says why a call is degraded even though it may have succeeded,
    /// for example <c>"empty_completion"</c> or <c>"router_failed"</c>.
    /// </summary>
    public string? DegradedReason { get; init; }

    /// <summary>Gets when the call started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Gets when the call completed; stamped from the recorder's <see cref="TimeProvider"/> when absent. Rollup dates are anchored on it (UTC).</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Gets the end-to-end latency of the call.</summary>
    public TimeSpan? Latency { get; init; }

    /// <summary>Gets named stage durations (for example <c>"ttft"</c>, <c>"tool"</c>).</summary>
    public IReadOnlyDictionary<string, TimeSpan>? StageDurations { get; init; }

    /// <summary>Gets the number of messages sent with the request (the conversation history length).</summary>
    public int? HistoryLength { get; init; }

    /// <summary>Gets a caller-chosen id that ties the record to a request, trace or job.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Gets the user who caused the call.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the tenant on whose behalf the call was made.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the id (never the secret) of the API key used.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>Gets the application route or feature that made the call.</summary>
    public string? Route { get; init; }

    /// <summary>Gets the provider service tier, for example <c>"batch"</c>, <c>"priority"</c>, <c>"flex"</c>.</summary>
    public string? ServiceTier { get; init; }

    /// <summary>Gets the names of the enclosing scopes, outermost first, joined by <c>/</c>.</summary>
    public string? ScopePath { get; init; }

    /// <summary>Gets free-form dimensions.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>
    /// Gets the provider-side tool calls the provider bills per call, by tool name, for example
    /// <c>{ "web_search": 3 }</c> (Anthropic <c>server_tool_use.web_search_requests</c>, OpenAI Responses
    /// <c>web_search_call</c> items, Gemini grounding queries); null or empty when there were none. Priced per call by
    /// <see cref="ModelPrice.PerThousandServerToolCalls"/> (tool names compare case-insensitively there).
    /// </summary>
    /// <remarks>
    /// Rules (checked by <see cref="Validate"/>): at most <see cref="UsageRecordLimits.MaxServerToolCount"/> tools;
    /// names not empty, valid UTF-16 without NUL and at most <see cref="UsageRecordLimits.MaxServerToolNameLength"/>
    /// characters; counts ≥ 0. <see cref="UsageParsers"/>' <c>Read…</c> methods return these as
    /// <see cref="ParsedUsage.ServerToolCalls"/>.
    /// </remarks>
    public IReadOnlyDictionary<string, long>? ServerToolCalls { get; init; }

    private UsageCost? _cost;

    // This instance once Validate passed on it and nothing it holds can change afterwards (see Validate). The copy
    // constructor leaves it unset, so a `with` copy is checked again and does not keep the original alive.
    private ValidationMark _validated;

    /// <summary>Creates a record; set at least <see cref="Model"/>.</summary>
    public UsageRecord()
    {
    }

    /// <summary>
    /// The copy a <c>with</c> expression starts from: every field but the validation mark (a copy is checked anew, and
    /// a mark naming the original would keep it alive as long as the copy). A test holds it to every field.
    /// </summary>
    [SetsRequiredMembers]
    private UsageRecord(UsageRecord original)
    {
        Id = original.Id;
        Model = original.Model;
        ResponseModel = original.ResponseModel;
        Provider = original.Provider;
        Operation = original.Operation;
        Tokens = original.Tokens;
        Provenance = original.Provenance;
        Outcome = original.Outcome;
        DegradedReason = original.DegradedReason;
        StartedAt = original.StartedAt;
        CompletedAt = original.CompletedAt;
        Latency = original.Latency;
        StageDurations = original.StageDurations;
        HistoryLength = original.HistoryLength;
        CorrelationId = original.CorrelationId;
        UserId = original.UserId;
        TenantId = original.TenantId;
        ApiKeyId = original.ApiKeyId;
        Route = original.Route;
        ServiceTier = original.ServiceTier;
        ScopePath = original.ScopePath;
        Tags = original.Tags;
        ServerToolCalls = original.ServerToolCalls;
        _cost = original._cost;
        Text = original.Text;
        IsUnpaired = original.IsUnpaired;
    }

    /// <summary>Gets the cost, when priced; null when the model is unknown to the price catalog.</summary>
    public UsageCost? Cost { get => _cost; init => _cost = value; }

    /// <summary>
    /// Prices a copy the pipeline has just made and not yet handed to anyone (<see cref="UsageEnrichment.Enrich"/>),
    /// so a record that needs an id or inherited fields and a price costs one copy, not two. Never call it on a record
    /// another thread or a caller can see: records are immutable to everyone else.
    /// </summary>
    internal void SetCostOfUnpublishedCopy(UsageCost cost)
    {
        _cost = cost;
        _validated = default;
    }

    /// <summary>Gets the request or response text; null unless text capture is enabled.</summary>
    public string? Text { get; init; }

    /// <summary>
    /// Gets whether the record came through a <see cref="UsageTracker"/> that had no pending request to pair it
    /// with (its <see cref="HistoryLength"/> is then unknown).
    /// </summary>
    public bool IsUnpaired { get; init; }

    /// <summary>
    /// Checks the record against the rules <see cref="IUsageRecorder.Record"/> applies (and the ledgers' readers apply to
    /// what they read), so that any recorder rejects the same records with the same errors.
    /// </summary>
    /// <remarks>
    /// The rules: <see cref="Model"/> is not empty or white space; every string — each field, the
    /// <see cref="Operation"/> value, each tag key and value, each stage name and <see cref="Text"/> — is valid
    /// UTF-16 without NUL (no U+0000, no unpaired surrogate); lengths and counts are within
    /// <see cref="UsageRecordLimits"/>; <see cref="Tokens"/> hold the <see cref="TokenCounts"/> invariants and their
    /// total fits in a <see cref="long"/>; the <see cref="Cost"/> total fits in a <see cref="decimal"/>;
    /// <see cref="Latency"/> and every stage duration are not negative; <see cref="HistoryLength"/> is not negative;
    /// <see cref="CompletedAt"/> is not before <see cref="StartedAt"/>; <see cref="Outcome"/> and
    /// <see cref="Provenance"/> are defined values. Checking allocates nothing for a valid record. An instance that
    /// passed is not checked again (recording the same record twice checks it once) unless it holds a tag, stage or
    /// tool dictionary of a mutable type, which could have changed since; a copy made with <c>with</c> is checked anew.
    /// </remarks>
    /// <exception cref="ArgumentException">A rule is broken; <see cref="ArgumentException.ParamName"/> is the field and the message names the rule.</exception>
    public void Validate()
    {
        if (ReferenceEquals(_validated.Record, this))
        {
            return;
        }

        ValidateFields();

        // Passed: the same instance (recorded again, or validated by the tracker and then by Record()) is not checked
        // twice. Strings, the counts and the cost are immutable; a tag, stage or tool dictionary is remembered only when
        // it is of an immutable type, since the caller could change a mutable one after this check.
        if (IsImmutable(Tags) && IsImmutable(StageDurations) && IsImmutable(ServerToolCalls))
        {
            _validated = new ValidationMark(this);
        }
    }

    private static bool IsImmutable<TValue>(IReadOnlyDictionary<string, TValue>? dictionary) =>
        dictionary is null or FrozenDictionary<string, TValue> or ImmutableDictionary<string, TValue> or ImmutableSortedDictionary<string, TValue>;

    /// <summary>The checks of <see cref="Validate"/>, run whether or not this instance passed before (benchmarks measure them).</summary>
    /// <remarks>
    /// Every check is a cheap test inline, in the order the rules are listed; what names a broken rule and throws is kept
    /// out of line (the <c>Throw…</c> and <c>Check…InFull</c> methods), so a valid record pays no call, no stack frame of
    /// message formatting and no allocation for it.
    /// </remarks>
    internal void ValidateFields()
    {
        const string Owner = nameof(UsageRecord);

        // Fields whose values repeat as the same instances (model and provider literals, a scope's user) skip the scan
        // after the first record that carried them (CheckRepeated); ids unique per record are always scanned.
        var model = Model;
        if (model is null || !ReferenceEquals(model, s_validModel))
        {
            CheckModel(model);
        }

        UsageStringRules.CheckRepeated(ResponseModel, ref s_validResponseModel, UsageRecordLimits.MaxModelLength, Owner, nameof(ResponseModel), "UsageRecordLimits.MaxModelLength");
        UsageStringRules.CheckRepeated(Provider, ref s_validProvider, UsageRecordLimits.MaxProviderLength, Owner, nameof(Provider), "UsageRecordLimits.MaxProviderLength");
        UsageStringRules.CheckRepeated(Operation.Value, ref s_validOperation, UsageRecordLimits.MaxOperationLength, Owner, nameof(Operation), "UsageRecordLimits.MaxOperationLength");
        UsageStringRules.Check(Id, UsageRecordLimits.MaxIdLength, Owner, nameof(Id), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.Check(CorrelationId, UsageRecordLimits.MaxIdLength, Owner, nameof(CorrelationId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.CheckRepeated(UserId, ref s_validUserId, UsageRecordLimits.MaxIdLength, Owner, nameof(UserId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.CheckRepeated(TenantId, ref s_validTenantId, UsageRecordLimits.MaxIdLength, Owner, nameof(TenantId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.CheckRepeated(ApiKeyId, ref s_validApiKeyId, UsageRecordLimits.MaxIdLength, Owner, nameof(ApiKeyId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.CheckRepeated(Route, ref s_validRoute, UsageRecordLimits.MaxRouteLength, Owner, nameof(Route), "UsageRecordLimits.MaxRouteLength");
        UsageStringRules.CheckRepeated(ServiceTier, ref s_validServiceTier, UsageRecordLimits.MaxServiceTierLength, Owner, nameof(ServiceTier), "UsageRecordLimits.MaxServiceTierLength");
        UsageStringRules.CheckRepeated(ScopePath, ref s_validScopePath, UsageRecordLimits.MaxScopePathLength, Owner, nameof(ScopePath), "UsageRecordLimits.MaxScopePathLength");
        UsageStringRules.CheckRepeated(DegradedReason, ref s_validDegradedReason, UsageRecordLimits.MaxDegradedReasonLength, Owner, nameof(DegradedReason), "UsageRecordLimits.MaxDegradedReasonLength");
        if (Text is { } text)
        {
            UsageStringRules.CheckText(text, Owner, nameof(Text));
        }

        if (Tags is { } tags)
        {
            UsageStringRules.CheckTags(tags, Owner, nameof(Tags));
        }

        if (StageDurations is { } stages)
        {
            UsageStringRules.CheckStageDurations(stages, Owner, nameof(StageDurations));
        }

        if (ServerToolCalls is { } toolCalls)
        {
            CheckServerToolCalls(toolCalls);
        }

        Tokens.Validate();

        // A cost whose five text parts are packed (the pricer's, almost every cost) cannot overflow when summed.
        if (Cost is { IsPackedTextOnly: false } cost && MayOverflowWhenAdded(cost))
        {
            CheckCostTotal(cost);
        }

        if (HistoryLength is < 0)
        {
            ThrowNegativeHistoryLength(HistoryLength.GetValueOrDefault());
        }

        if (Latency is { } latency && latency < TimeSpan.Zero)
        {
            ThrowNegativeLatency(latency);
        }

        if (StartedAt is { } started && CompletedAt is { } completed && completed < started)
        {
            ThrowCompletedBeforeStarted(started, completed);
        }

        // Range checks, not Enum.IsDefined (a lookup per call): both enums run from 0 without gaps (a test holds them to it).
        if ((uint)Outcome > (uint)UsageOutcome.Skipped)
        {
            ThrowUndefinedOutcome(Outcome);
        }

        if ((uint)Provenance > (uint)UsageProvenance.Estimated)
        {
            ThrowUndefinedProvenance(Provenance);
        }
    }

#pragma warning disable CA2208 // The paramName is the record's field the caller must fix.
    // A model not seen (as this instance) before: required, then the string rules; remembered once it passed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckModel(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("UsageRecord.Model is required and must not be empty or white space.", nameof(Model));
        }

        UsageStringRules.CheckRepeated(model, ref s_validModel, UsageRecordLimits.MaxModelLength, nameof(UsageRecord), nameof(Model), "UsageRecordLimits.MaxModelLength");
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNegativeHistoryLength(int historyLength) =>
        throw new ArgumentOutOfRangeException(nameof(HistoryLength), historyLength, $"UsageRecord.HistoryLength must be zero or greater (was {historyLength}).");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNegativeLatency(TimeSpan latency) =>
        throw new ArgumentOutOfRangeException(nameof(Latency), latency, $"UsageRecord.Latency must not be negative (was {latency}).");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCompletedBeforeStarted(DateTimeOffset started, DateTimeOffset completed) =>
        throw new ArgumentException($"UsageRecord.CompletedAt ({completed:O}) must not be earlier than StartedAt ({started:O}).", nameof(CompletedAt));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUndefinedOutcome(UsageOutcome outcome) =>
        throw new ArgumentOutOfRangeException(nameof(Outcome), outcome, "UsageRecord.Outcome is not a defined UsageOutcome value.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUndefinedProvenance(UsageProvenance provenance) =>
        throw new ArgumentOutOfRangeException(nameof(Provenance), provenance, "UsageRecord.Provenance is not a defined UsageProvenance value.");
#pragma warning restore CA2208

    // Only a part of 2^64 or more (in its 96-bit mantissa) can make ten parts add up to decimal.MaxValue: reading the
    // mantissa's high word of each is far cheaper than ten checked decimal additions, and almost never finds one.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool MayOverflowWhenAdded(UsageCost cost) =>
        (High(cost.Input) | High(cost.CachedInput) | High(cost.CacheWrite) | High(cost.Output) | High(cost.Reasoning)
        | High(cost.InputAudio) | High(cost.CachedInputAudio) | High(cost.OutputAudio) | High(cost.Requests) | High(cost.ServerToolCalls)) != 0;

    private static int High(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        return bits[2];
    }

#pragma warning disable CA2208 // The paramName is the record's field the caller must fix.
    private static void CheckCostTotal(UsageCost cost)
    {
        // Each part is a decimal, so only their sum can overflow; UsageCost.Total would saturate, so add them checked.
        try
        {
            _ = cost.Input + cost.CachedInput + cost.CacheWrite + cost.Output + cost.Reasoning + cost.InputAudio + cost.CachedInputAudio + cost.OutputAudio + cost.Requests + cost.ServerToolCalls;
        }
        catch (OverflowException ex)
        {
            throw new ArgumentException(
                $"UsageRecord.Cost: the parts add up to more than decimal.MaxValue ({decimal.MaxValue}); Cost.Total must fit in a decimal.",
                nameof(Cost),
                ex);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckServerToolCalls(IReadOnlyDictionary<string, long> toolCalls)
    {
        if (toolCalls.Count == 0)
        {
            return;
        }

        if (toolCalls.Count > UsageRecordLimits.MaxServerToolCount)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"UsageRecord.ServerToolCalls has {toolCalls.Count} tools; at most {UsageRecordLimits.MaxServerToolCount} are allowed (UsageRecordLimits.MaxServerToolCount)."),
                nameof(ServerToolCalls));
        }

        if (toolCalls is Dictionary<string, long> dictionary)
        {
            // The struct enumerator: no allocation.
            foreach (var (tool, count) in dictionary)
            {
                CheckServerToolCall(tool, count);
            }

            return;
        }

        foreach (var (tool, count) in toolCalls)
        {
            CheckServerToolCall(tool, count);
        }
    }

    private static void CheckServerToolCall(string tool, long count)
    {
        if (string.IsNullOrWhiteSpace(tool))
        {
            throw new ArgumentException("UsageRecord.ServerToolCalls: a tool name is empty or white space.", nameof(ServerToolCalls));
        }

        UsageStringRules.Check(tool, UsageRecordLimits.MaxServerToolNameLength, nameof(UsageRecord), nameof(ServerToolCalls), "UsageRecordLimits.MaxServerToolNameLength");
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ServerToolCalls), count, FormattableString.Invariant($"UsageRecord.ServerToolCalls[{tool}] must be zero or greater (was {count})."));
        }
    }
#pragma warning restore CA2208

    /// <summary>
    /// Which instance <see cref="Validate"/> passed. Takes no part in the record's value equality: every mark equals every
    /// other, so two records with the same contents stay equal whether or not either was validated.
    /// </summary>
    private readonly struct ValidationMark(UsageRecord record) : IEquatable<ValidationMark>
    {
        public UsageRecord? Record { get; } = record;

        public bool Equals(ValidationMark other) => true;

        public override bool Equals(object? obj) => obj is ValidationMark;

        public override int GetHashCode() => 0;
    }
}
