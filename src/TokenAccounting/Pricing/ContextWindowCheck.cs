namespace TokenAccounting;

/// <summary>How full a model's context window is, and whether the next request would overflow it.</summary>
/// <param name="OccupiedTokens">The input tokens of the latest request (<see cref="UsageTracker.LatestOccupancy"/>).</param>
/// <param name="AdditionalTokens">The tokens the next request adds on top (new messages, tool results); 0 when unknown.</param>
/// <param name="MaxInputTokens">The model's context window for input tokens.</param>
public readonly record struct ContextWindowCheck(long OccupiedTokens, long AdditionalTokens, long MaxInputTokens)
{
    /// <summary>Gets the tokens the next request is expected to send: <see cref="OccupiedTokens"/> + <see cref="AdditionalTokens"/>.</summary>
    public long ProjectedTokens => OccupiedTokens + AdditionalTokens;

    /// <summary>Gets <see cref="OccupiedTokens"/> / <see cref="MaxInputTokens"/> (can exceed 1).</summary>
    public double OccupancyRatio => MaxInputTokens <= 0 ? 0 : (double)OccupiedTokens / MaxInputTokens;

    /// <summary>Gets <see cref="ProjectedTokens"/> / <see cref="MaxInputTokens"/> (can exceed 1).</summary>
    public double ProjectedRatio => MaxInputTokens <= 0 ? 0 : (double)ProjectedTokens / MaxInputTokens;

    /// <summary>Gets the tokens left in the window after the next request (negative when it would overflow).</summary>
    public long RemainingTokens => MaxInputTokens - ProjectedTokens;

    /// <summary>Gets whether the next request would exceed the context window.</summary>
    public bool WouldOverflow => ProjectedTokens > MaxInputTokens;
}
