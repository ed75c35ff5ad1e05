namespace TokenAccounting;

/// <summary>
/// Estimates usage that the provider did not report (a stream cut before its usage chunk, a client that drops
/// usage): input from request bytes, output from streamed chunks. Reported values are never overwritten.
/// </summary>
public sealed class UsageEstimator
{
    /// <summary>Creates an estimator with the given ratios.</summary>
    /// <param name="bytesPerInputToken">Request bytes per input token; at least 1.</param>
    /// <param name="tokensPerOutputChunk">Output tokens per streamed chunk; at least 1.</param>
    public UsageEstimator(int bytesPerInputToken = 4, int tokensPerOutputChunk = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerInputToken, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerOutputChunk, 1);
        BytesPerInputToken = bytesPerInputToken;
        TokensPerOutputChunk = tokensPerOutputChunk;
    }

    /// <summary>Gets the estimator with the default ratios (4 bytes per input token, 1 token per output chunk).</summary>
    public static UsageEstimator Default { get; } = new();

    /// <summary>Gets the request bytes that count as one input token.</summary>
    public int BytesPerInputToken { get; }

    /// <summary>Gets the output tokens one streamed chunk counts as.</summary>
    public int TokensPerOutputChunk { get; }

    /// <summary>Creates an estimator from the configured options.</summary>
    public static UsageEstimator From(TokenAccountingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new UsageEstimator(options.BytesPerInputToken, options.TokensPerOutputChunk);
    }

    /// <summary>Estimates input tokens from the size of the request in bytes (rounded up).</summary>
    public long EstimateInputTokens(long requestBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requestBytes);
        return (requestBytes + BytesPerInputToken - 1) / BytesPerInputToken;
    }

    /// <summary>Estimates output tokens from the number of streamed chunks.</summary>
    public long EstimateOutputTokens(long chunkCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        return checked(chunkCount * TokensPerOutputChunk);
    }

    /// <summary>
    /// Completes possibly partial reported counts: a side that was reported (non-null) is kept as is; a missing side is
    /// estimated. Returns the counts and whether anything was estimated.
    /// </summary>
    /// <param name="reportedInput">Input tokens the provider reported, or null.</param>
    /// <param name="reportedOutput">Output tokens the provider reported, or null.</param>
    /// <param name="requestBytes">The size of the request in bytes.</param>
    /// <param name="chunkCount">The number of streamed chunks (or 0 for non-streamed calls).</param>
    public (TokenCounts Tokens, UsageProvenance Provenance) Complete(long? reportedInput, long? reportedOutput, long requestBytes, long chunkCount)
    {
        var input = reportedInput ?? EstimateInputTokens(requestBytes);
        var output = reportedOutput ?? EstimateOutputTokens(chunkCount);
        var provenance = reportedInput is null || reportedOutput is null ? UsageProvenance.Estimated : UsageProvenance.Reported;
        return (new TokenCounts(input, output), provenance);
    }

    /// <summary>
    /// Resolves embedding and rerank reports that carry only a total: input = total − output.
    /// </summary>
    /// <param name="totalTokens">The reported total.</param>
    /// <param name="outputTokens">The reported output (usually 0 for embeddings).</param>
    /// <exception cref="ArgumentException">The output exceeds the total.</exception>
    public static TokenCounts FromTotal(long totalTokens, long outputTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        if (outputTokens > totalTokens)
        {
            throw new ArgumentException($"outputTokens ({outputTokens}) must not exceed totalTokens ({totalTokens}).", nameof(outputTokens));
        }

        return new TokenCounts(totalTokens - outputTokens, outputTokens);
    }
}
