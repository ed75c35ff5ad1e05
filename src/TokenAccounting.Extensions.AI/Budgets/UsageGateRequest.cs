namespace TokenAccounting;

/// <summary>What the middleware knows about a call before it is made.</summary>
/// <param name="Model">The requested model (<see cref="TokenAccountingChatClientOptions.UnknownModel"/> when unknown).</param>
/// <param name="Provider">The provider, when known.</param>
/// <param name="Operation">Chat or embeddings.</param>
/// <param name="Attribution">The resolved attribution, or null.</param>
/// <param name="EstimatedInputTokens">Input estimated from the request's UTF-8 text size.</param>
/// <param name="MaxOutputTokens">The caller's output cap (<c>ChatOptions.MaxOutputTokens</c>), or null.</param>
internal sealed record UsageGateRequest(
    string Model,
    string? Provider,
    UsageOperation Operation,
    UsageAttribution? Attribution,
    long EstimatedInputTokens,
    int? MaxOutputTokens);
