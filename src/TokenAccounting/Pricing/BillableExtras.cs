namespace TokenAccounting;

/// <summary>
/// The billable usage a record carries beyond its text <see cref="TokenCounts"/>: audio parts and provider-side
/// tool calls. <c>InputAudio</c> is part of <c>Input</c>, <c>CachedInputAudio</c> part of both <c>CachedInput</c>
/// and <c>InputAudio</c>, <c>OutputAudio</c> part of <c>Output</c> (the inclusive token semantics).
/// </summary>
/// <remarks>
/// The one place where counts beyond text tokens reach the cost formulas: <see cref="UsagePricing.Extras"/> builds it
/// from a record, <see cref="ModelPrice.Cost(TokenCounts, string?)"/> from the counts' audio parts.
/// </remarks>
internal readonly struct BillableExtras
{
    public BillableExtras(long inputAudio, long cachedInputAudio, long outputAudio, IReadOnlyDictionary<string, long>? serverToolCalls)
    {
        InputAudio = inputAudio;
        CachedInputAudio = cachedInputAudio;
        OutputAudio = outputAudio;
        ServerToolCalls = serverToolCalls;
    }

    public static BillableExtras None => default;

    public static BillableExtras Of(in TokenCounts tokens, IReadOnlyDictionary<string, long>? serverToolCalls) =>
        new(tokens.InputAudio, tokens.CachedInputAudio, tokens.OutputAudio, serverToolCalls);

    public long InputAudio { get; }

    public long CachedInputAudio { get; }

    public long OutputAudio { get; }

    public IReadOnlyDictionary<string, long>? ServerToolCalls { get; }
}
