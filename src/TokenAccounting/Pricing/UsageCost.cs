using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// The cost of a call (or of a rollup of calls) in US dollars, broken down by the same parts as
/// <see cref="ModelPrice"/>. All parts are ≥ 0 and <see cref="Total"/> is their exact decimal sum.
/// </summary>
/// <remarks>
/// <para><see cref="CacheWriteLongTtl"/> is the part of <see cref="CacheWrite"/> spent on cache writes with a TTL of one
/// hour or more; it is already included in <see cref="CacheWrite"/> and is not added to <see cref="Total"/> again.</para>
/// <para>Audio tokens are priced apart from text: <see cref="Input"/>, <see cref="CachedInput"/> and
/// <see cref="Output"/> are the text parts, <see cref="InputAudio"/>, <see cref="CachedInputAudio"/> and
/// <see cref="OutputAudio"/> the audio parts. <see cref="Requests"/> is the per-request fee and
/// <see cref="ServerToolCalls"/> the charge for provider-side tool calls billed per call (web search).</para>
/// </remarks>
public sealed class UsageCost : IEquatable<UsageCost>
{
    /// <summary>Creates a cost breakdown.</summary>
    /// <param name="input">The cost of uncached input tokens.</param>
    /// <param name="cachedInput">The cost of input tokens read from a cache.</param>
    /// <param name="cacheWrite">The cost of all cache writes (every TTL).</param>
    /// <param name="output">The cost of output tokens that are not reasoning tokens.</param>
    /// <param name="reasoning">The cost of reasoning tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">A part is negative.</exception>
    public UsageCost(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning)
        : this(input, cachedInput, cacheWrite, output, reasoning, 0m)
    {
    }

    /// <summary>Creates a cost breakdown that also says how much of the cache-write cost was for ≥1h writes.</summary>
    /// <param name="input">The cost of uncached input tokens.</param>
    /// <param name="cachedInput">The cost of input tokens read from a cache.</param>
    /// <param name="cacheWrite">The cost of all cache writes (every TTL).</param>
    /// <param name="output">The cost of output tokens that are not reasoning tokens.</param>
    /// <param name="reasoning">The cost of reasoning tokens.</param>
    /// <param name="cacheWriteLongTtl">The part of <paramref name="cacheWrite"/> spent on writes with a TTL of one hour or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">A part is negative, or <paramref name="cacheWriteLongTtl"/> exceeds <paramref name="cacheWrite"/>.</exception>
    public UsageCost(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, decimal cacheWriteLongTtl)
        : this(input, cachedInput, cacheWrite, output, reasoning, cacheWriteLongTtl, 0m, 0m, 0m, 0m, 0m)
    {
    }

    /// <summary>Creates a cost breakdown with every part, including audio, per-request fees and server-side tool calls.</summary>
    /// <param name="input">The cost of uncached text input tokens.</param>
    /// <param name="cachedInput">The cost of text input tokens read from a cache.</param>
    /// <param name="cacheWrite">The cost of all cache writes (every TTL).</param>
    /// <param name="output">The cost of text output tokens that are not reasoning tokens.</param>
    /// <param name="reasoning">The cost of reasoning tokens.</param>
    /// <param name="cacheWriteLongTtl">The part of <paramref name="cacheWrite"/> spent on writes with a TTL of one hour or more.</param>
    /// <param name="inputAudio">The cost of uncached audio input tokens.</param>
    /// <param name="cachedInputAudio">The cost of audio input tokens read from a cache.</param>
    /// <param name="outputAudio">The cost of audio output tokens.</param>
    /// <param name="requests">The per-request fees.</param>
    /// <param name="serverToolCalls">The charge for provider-side tool calls billed per call.</param>
    /// <exception cref="ArgumentOutOfRangeException">A part is negative, or <paramref name="cacheWriteLongTtl"/> exceeds <paramref name="cacheWrite"/>.</exception>
    public UsageCost(
        decimal input,
        decimal cachedInput,
        decimal cacheWrite,
        decimal output,
        decimal reasoning,
        decimal cacheWriteLongTtl,
        decimal inputAudio,
        decimal cachedInputAudio,
        decimal outputAudio,
        decimal requests,
        decimal serverToolCalls)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedInput);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheWrite);
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfNegative(reasoning);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheWriteLongTtl);
        ArgumentOutOfRangeException.ThrowIfNegative(inputAudio);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedInputAudio);
        ArgumentOutOfRangeException.ThrowIfNegative(outputAudio);
        ArgumentOutOfRangeException.ThrowIfNegative(requests);
        ArgumentOutOfRangeException.ThrowIfNegative(serverToolCalls);
        if (cacheWriteLongTtl > cacheWrite)
        {
            throw new ArgumentOutOfRangeException(nameof(cacheWriteLongTtl), cacheWriteLongTtl, $"cacheWriteLongTtl ({cacheWriteLongTtl}) must not exceed cacheWrite ({cacheWrite}): long-TTL writes are part of all cache writes.");
        }

        Input = input;
        CachedInput = cachedInput;
        CacheWrite = cacheWrite;
        Output = output;
        Reasoning = reasoning;
        _beyondText = BeyondText.Of(cacheWriteLongTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls);
    }

    // For the pricing hot path and the rollups: parts computed from non-negative counts and prices need no checks.
    private UsageCost(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, BeyondText? beyondText)
    {
        Input = input;
        CachedInput = cachedInput;
        CacheWrite = cacheWrite;
        Output = output;
        Reasoning = reasoning;
        _beyondText = beyondText;
    }

    // The six parts beyond text (long-TTL cache writes, audio, per-request fees, server-side tool calls) are zero for
    // most calls: they live out of line, in an object allocated only when one of them is not 0m, so a text-only cost
    // is five decimals (104 bytes instead of 192).
    private readonly BeyondText? _beyondText;

    /// <summary>Gets a cost of zero.</summary>
    public static UsageCost Zero { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Gets the cost of uncached (text) input tokens.</summary>
    public decimal Input { get; }

    /// <summary>Gets the cost of (text) input tokens read from a cache.</summary>
    public decimal CachedInput { get; }

    /// <summary>Gets the cost of input tokens written to a cache (all TTLs).</summary>
    public decimal CacheWrite { get; }

    /// <summary>Gets the part of <see cref="CacheWrite"/> spent on cache writes with a TTL of one hour or more (not added to <see cref="Total"/> twice).</summary>
    public decimal CacheWriteLongTtl => _beyondText is null ? 0m : _beyondText.CacheWriteLongTtl;

    /// <summary>Gets the cost of (text) output tokens that are not reasoning tokens.</summary>
    public decimal Output { get; }

    /// <summary>Gets the cost of reasoning tokens.</summary>
    public decimal Reasoning { get; }

    /// <summary>Gets the cost of uncached audio input tokens.</summary>
    public decimal InputAudio => _beyondText is null ? 0m : _beyondText.InputAudio;

    /// <summary>Gets the cost of audio input tokens read from a cache.</summary>
    public decimal CachedInputAudio => _beyondText is null ? 0m : _beyondText.CachedInputAudio;

    /// <summary>Gets the cost of audio output tokens.</summary>
    public decimal OutputAudio => _beyondText is null ? 0m : _beyondText.OutputAudio;

    /// <summary>Gets the per-request fees (for example Perplexity's fee per 1,000 requests).</summary>
    public decimal Requests => _beyondText is null ? 0m : _beyondText.Requests;

    /// <summary>Gets the charge for provider-side tool calls billed per call (for example web search at $10 per 1,000 calls).</summary>
    public decimal ServerToolCalls => _beyondText is null ? 0m : _beyondText.ServerToolCalls;

    /// <summary>Gets the total cost in US dollars; saturates at <see cref="decimal.MaxValue"/> (only a saturated sum gets there: <c>Record()</c> rejects a cost whose total does not fit).</summary>
    public decimal Total => _beyondText is null
        ? SaturatingArithmetic.Add(Input, CachedInput, CacheWrite, Output, Reasoning)
        : SaturatingArithmetic.Add(
            SaturatingArithmetic.Add(Input, CachedInput, CacheWrite, Output, Reasoning),
            SaturatingArithmetic.Add(InputAudio, CachedInputAudio, OutputAudio, Requests, ServerToolCalls));

    /// <summary>A cost of the five text parts alone (no long-TTL writes, audio, fees or tool calls), unchecked.</summary>
    internal static UsageCost CreateTrusted(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning) =>
        new(input, cachedInput, cacheWrite, output, reasoning, beyondText: null);

    /// <summary>A cost of every part, unchecked: parts computed from non-negative counts and prices, or sums of such.</summary>
    internal static UsageCost CreateTrusted(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, decimal cacheWriteLongTtl, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls) =>
        new(input, cachedInput, cacheWrite, output, reasoning, BeyondText.Of(cacheWriteLongTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls));

    /// <summary>
    /// Whether an amount is <c>0m</c> bit for bit: zero, scale 0, no sign. Only such a part may be left out of line:
    /// a zero of another scale (<c>0.00m</c>) is kept as it is, so that every part reads back, and formats, as given.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsZeroBits(decimal value) => Unsafe.BitCast<decimal, UInt128>(value) == UInt128.Zero;

    /// <summary>Adds two costs part by part. Never throws for size: a part that does not fit saturates at <see cref="decimal.MaxValue"/>.</summary>
    public static UsageCost operator +(UsageCost left, UsageCost right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var cacheWrite = SaturatingArithmetic.Add(left.CacheWrite, right.CacheWrite);
        return new UsageCost(
            SaturatingArithmetic.Add(left.Input, right.Input),
            SaturatingArithmetic.Add(left.CachedInput, right.CachedInput),
            cacheWrite,
            SaturatingArithmetic.Add(left.Output, right.Output),
            SaturatingArithmetic.Add(left.Reasoning, right.Reasoning),
            Math.Min(cacheWrite, SaturatingArithmetic.Add(left.CacheWriteLongTtl, right.CacheWriteLongTtl)),
            SaturatingArithmetic.Add(left.InputAudio, right.InputAudio),
            SaturatingArithmetic.Add(left.CachedInputAudio, right.CachedInputAudio),
            SaturatingArithmetic.Add(left.OutputAudio, right.OutputAudio),
            SaturatingArithmetic.Add(left.Requests, right.Requests),
            SaturatingArithmetic.Add(left.ServerToolCalls, right.ServerToolCalls));
    }

    /// <summary>Adds two costs part by part, saturating (the named alternative to <c>+</c>).</summary>
    public static UsageCost Add(UsageCost left, UsageCost right) => left + right;

    /// <inheritdoc />
    public bool Equals(UsageCost? other) =>
        other is not null && Input == other.Input && CachedInput == other.CachedInput && CacheWrite == other.CacheWrite
        && Output == other.Output && Reasoning == other.Reasoning && CacheWriteLongTtl == other.CacheWriteLongTtl
        && InputAudio == other.InputAudio && CachedInputAudio == other.CachedInputAudio && OutputAudio == other.OutputAudio
        && Requests == other.Requests && ServerToolCalls == other.ServerToolCalls;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as UsageCost);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Input);
        hash.Add(CachedInput);
        hash.Add(CacheWrite);
        hash.Add(Output);
        hash.Add(Reasoning);
        hash.Add(CacheWriteLongTtl);
        hash.Add(InputAudio);
        hash.Add(CachedInputAudio);
        hash.Add(OutputAudio);
        hash.Add(Requests);
        hash.Add(ServerToolCalls);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = FormattableString.Invariant($"${Total} (in {Input}, cached {CachedInput}, cache-write {CacheWrite} (1h {CacheWriteLongTtl}), out {Output}, reasoning {Reasoning}");
        if (InputAudio != 0 || CachedInputAudio != 0 || OutputAudio != 0)
        {
            text += FormattableString.Invariant($", audio in {InputAudio}, audio cached {CachedInputAudio}, audio out {OutputAudio}");
        }

        if (Requests != 0 || ServerToolCalls != 0)
        {
            text += FormattableString.Invariant($", requests {Requests}, tool calls {ServerToolCalls}");
        }

        return text + ")";
    }

    /// <summary>The parts of a cost beyond text tokens; exists only when one of them is not <c>0m</c> bit for bit.</summary>
    private sealed class BeyondText
    {
        private BeyondText(decimal cacheWriteLongTtl, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls)
        {
            CacheWriteLongTtl = cacheWriteLongTtl;
            InputAudio = inputAudio;
            CachedInputAudio = cachedInputAudio;
            OutputAudio = outputAudio;
            Requests = requests;
            ServerToolCalls = serverToolCalls;
        }

        public decimal CacheWriteLongTtl { get; }

        public decimal InputAudio { get; }

        public decimal CachedInputAudio { get; }

        public decimal OutputAudio { get; }

        public decimal Requests { get; }

        public decimal ServerToolCalls { get; }

        public static BeyondText? Of(decimal cacheWriteLongTtl, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls) =>
            IsZeroBits(cacheWriteLongTtl) && IsZeroBits(inputAudio) && IsZeroBits(cachedInputAudio) && IsZeroBits(outputAudio) && IsZeroBits(requests) && IsZeroBits(serverToolCalls)
                ? null
                : new BeyondText(cacheWriteLongTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls);
    }
}
