namespace TokenAccounting;

/// <summary>
/// The billable usage a record carries beyond its text <see cref="TokenCounts"/>: audio parts and provider-side
/// tool calls. <c>InputAudio</c> is part of <c>Input</c>, <c>CachedInputAudio</c> part of both <c>CachedInput</c>
/// and <c>InputAudio</c>, <c>OutputAudio</c> part of <c>Output</c> (the inclusive token semantics).
/// </summary>
/// <remarks>
/// The cost formulas already take these counts; until <see cref="TokenCounts"/> and <see cref="UsageRecord"/> carry
/// them, <see cref="UsagePricing"/> passes <see cref="None"/> and the audio and tool-call parts are zero.
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

    public long InputAudio { get; }

    public long CachedInputAudio { get; }

    public long OutputAudio { get; }

    public IReadOnlyDictionary<string, long>? ServerToolCalls { get; }
}
