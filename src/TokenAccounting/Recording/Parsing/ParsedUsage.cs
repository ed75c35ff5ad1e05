namespace TokenAccounting;

/// <summary>
/// Everything a provider's usage payload says about one call: the normalized <see cref="Tokens"/>, the
/// <see cref="ServiceTier"/> that actually served it, the <see cref="ResponseModel"/>, the
/// <see cref="ServerToolCalls"/> billed per call, and the <see cref="Corrections"/> the parser had to make.
/// Returned by <see cref="UsageParsers"/>' <c>Read…</c> methods; <see cref="ApplyTo"/> puts it on a record.
/// </summary>
/// <remarks>
/// Metadata never fails a parse: a model or service tier that is absent, not a string, empty, longer than 256
/// characters or not storable (NUL, unpaired surrogate) reads as null. Counts are as strict as in the
/// <c>Parse…</c> methods.
/// </remarks>
public sealed record ParsedUsage
{
    /// <summary>Gets the normalized token counts (the same the <c>Parse…</c> method of the provider returns).</summary>
    public TokenCounts Tokens { get; init; }

    /// <summary>
    /// Gets the service tier the provider says served the request, as reported (OpenAI <c>service_tier</c>:
    /// <c>"default"</c>, <c>"flex"</c>, <c>"priority"</c>, <c>"scale"</c>; Anthropic <c>usage.service_tier</c>:
    /// <c>"standard"</c>, <c>"priority"</c>, <c>"batch"</c>), or null when the payload does not say.
    /// </summary>
    public string? ServiceTier { get; init; }

    /// <summary>Gets the model the provider says answered (OpenAI and Anthropic <c>model</c>, Gemini <c>modelVersion</c>), or null.</summary>
    public string? ResponseModel { get; init; }

    /// <summary>
    /// Gets the provider-side tool calls billed per call, by tool name (<c>web_search</c>, <c>web_fetch</c>,
    /// <c>file_search</c>, …), or null when there were none. Only counts greater than zero are listed.
    /// </summary>
    public IReadOnlyDictionary<string, long>? ServerToolCalls { get; init; }

    /// <summary>Gets what the parser had to correct to keep the record (see <see cref="UsageCorrections"/>); <see cref="UsageCorrections.None"/> for a payload taken as it is.</summary>
    public UsageCorrections Corrections { get; init; }

    /// <summary>
    /// Returns <paramref name="record"/> with these counts, and with the service tier, response model and server tool
    /// calls where the payload reported them (what the payload says about the call served wins over what the caller
    /// asked for; a value the payload does not report keeps the record's).
    /// </summary>
    /// <param name="record">The record to complete.</param>
    /// <returns>A copy of the record.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    public UsageRecord ApplyTo(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record with
        {
            Tokens = Tokens,
            ServiceTier = ServiceTier ?? record.ServiceTier,
            ResponseModel = ResponseModel ?? record.ResponseModel,
            ServerToolCalls = ServerToolCalls ?? record.ServerToolCalls,
        };
    }
}
