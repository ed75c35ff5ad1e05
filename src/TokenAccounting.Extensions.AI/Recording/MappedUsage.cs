namespace TokenAccounting;

/// <summary>
/// Mapped counts plus which sides were reported (the rest is zero and may be estimated), and the server-side tool
/// calls the usage reported (Anthropic's <c>WebSearchRequests</c> and <c>WebFetchRequests</c>).
/// </summary>
internal readonly record struct MappedUsage(TokenCounts Tokens, bool HasInput, bool HasOutput, long WebSearchCalls = 0, long WebFetchCalls = 0);
