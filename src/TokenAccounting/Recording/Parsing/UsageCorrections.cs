namespace TokenAccounting;

/// <summary>
/// What a parser corrected in a provider payload instead of rejecting it (see <see cref="ParsedUsage.Corrections"/>).
/// Each correction applied is also counted in the <c>tokenaccounting.usage.parse.corrections</c> counter
/// (<see cref="TokenAccountingDiagnostics.ParseCorrectionsInstrument"/>) of the <c>TokenAccounting</c> meter, tagged
/// with the provider and the correction.
/// </summary>
[Flags]
public enum UsageCorrections
{
    /// <summary>The payload was taken as it is.</summary>
    None = 0,

    /// <summary>
    /// Anthropic: the <c>cache_creation</c> breakdown (<c>ephemeral_5m_input_tokens + ephemeral_1h_input_tokens</c>)
    /// disagreed with <c>cache_creation_input_tokens</c>; the total was taken and the 1-hour part capped at it
    /// (tag <c>cache_creation_mismatch</c>).
    /// </summary>
    CacheCreationBreakdownMismatch = 1,

    /// <summary>
    /// OpenAI-compatible (xAI): <c>total_tokens = prompt_tokens + completion_tokens + reasoning_tokens</c>, so the
    /// reasoning tokens were outside <c>completion_tokens</c> and were added to the output (tag <c>reasoning_outside_completion</c>).
    /// </summary>
    ReasoningOutsideCompletion = 2,

    /// <summary>
    /// Gemini: <c>totalTokenCount</c> showed that <c>candidatesTokenCount</c> already included the thoughts, so
    /// they were not added again (tag <c>thoughts_inside_candidates</c>).
    /// </summary>
    ThoughtsInsideCandidates = 4,

    /// <summary>
    /// Amazon Bedrock: <c>totalTokens</c> showed that <c>inputTokens</c> already included the cache reads and
    /// writes, so they were not added again (tag <c>cache_inside_input</c>).
    /// </summary>
    CacheInsideInput = 8,
}
