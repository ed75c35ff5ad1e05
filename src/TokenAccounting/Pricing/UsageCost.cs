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

        (_input, _cachedInput, _cacheWrite, _output, _reasoning, _more) = Layout(input, cachedInput, cacheWrite, output, reasoning, BeyondText.Of(cacheWriteLongTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls));
    }

    // For the pricing hot path: five text parts already packed (PackedAmount), and the parts beyond text, if any.
    private UsageCost(ulong input, ulong cachedInput, ulong cacheWrite, ulong output, ulong reasoning, object? more)
    {
        _input = input;
        _cachedInput = cachedInput;
        _cacheWrite = cacheWrite;
        _output = output;
        _reasoning = reasoning;
        _more = more;
    }

    // The five text parts, packed (PackedAmount: mantissa and scale in 8 bytes), when they all fit; a cost part is a
    // token count times a per-token rate, which almost always does. What does not fit lives out of line in _more:
    // a WideText with the five parts as decimals (the packed fields are then 0), or, for the six parts beyond text
    // (long-TTL cache writes, audio, per-request fees, server-side tool calls: zero for most calls), a BeyondText,
    // allocated only when one of them is not 0m. A text-only cost is one 64-byte object (it was 104 with five
    // decimal fields, 192 with eleven).
    private readonly ulong _input;
    private readonly ulong _cachedInput;
    private readonly ulong _cacheWrite;
    private readonly ulong _output;
    private readonly ulong _reasoning;
    private readonly object? _more;

    /// <summary>Gets a cost of zero.</summary>
    public static UsageCost Zero { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Gets the cost of uncached (text) input tokens.</summary>
    public decimal Input => _more is WideText wide ? wide.Input : PackedAmount.Unpack(_input);

    /// <summary>Gets the cost of (text) input tokens read from a cache.</summary>
    public decimal CachedInput => _more is WideText wide ? wide.CachedInput : PackedAmount.Unpack(_cachedInput);

    /// <summary>Gets the cost of input tokens written to a cache (all TTLs).</summary>
    public decimal CacheWrite => _more is WideText wide ? wide.CacheWrite : PackedAmount.Unpack(_cacheWrite);

    /// <summary>Gets the part of <see cref="CacheWrite"/> spent on cache writes with a TTL of one hour or more (not added to <see cref="Total"/> twice).</summary>
    public decimal CacheWriteLongTtl => Beyond is { } beyond ? beyond.CacheWriteLongTtl : 0m;

    /// <summary>Gets the cost of (text) output tokens that are not reasoning tokens.</summary>
    public decimal Output => _more is WideText wide ? wide.Output : PackedAmount.Unpack(_output);

    /// <summary>Gets the cost of reasoning tokens.</summary>
    public decimal Reasoning => _more is WideText wide ? wide.Reasoning : PackedAmount.Unpack(_reasoning);

    /// <summary>Gets the cost of uncached audio input tokens.</summary>
    public decimal InputAudio => Beyond is { } beyond ? beyond.InputAudio : 0m;

    /// <summary>Gets the cost of audio input tokens read from a cache.</summary>
    public decimal CachedInputAudio => Beyond is { } beyond ? beyond.CachedInputAudio : 0m;

    /// <summary>Gets the cost of audio output tokens.</summary>
    public decimal OutputAudio => Beyond is { } beyond ? beyond.OutputAudio : 0m;

    /// <summary>Gets the per-request fees (for example Perplexity's fee per 1,000 requests).</summary>
    public decimal Requests => Beyond is { } beyond ? beyond.Requests : 0m;

    /// <summary>Gets the charge for provider-side tool calls billed per call (for example web search at $10 per 1,000 calls).</summary>
    public decimal ServerToolCalls => Beyond is { } beyond ? beyond.ServerToolCalls : 0m;

    /// <summary>Gets the total cost in US dollars; saturates at <see cref="decimal.MaxValue"/> (only a saturated sum gets there: <c>Record()</c> rejects a cost whose total does not fit).</summary>
    public decimal Total
    {
        get
        {
            // The common cost (five packed text parts) is summed on integers, bit for bit what the decimal sum gives.
            if (_more is null && PackedAmount.TrySum(_input, _cachedInput, _cacheWrite, _output, _reasoning, out var sum))
            {
                return sum;
            }

            var text = SaturatingArithmetic.Add(Input, CachedInput, CacheWrite, Output, Reasoning);
            return Beyond is { } beyond
                ? SaturatingArithmetic.Add(text, SaturatingArithmetic.Add(beyond.InputAudio, beyond.CachedInputAudio, beyond.OutputAudio, beyond.Requests, beyond.ServerToolCalls))
                : text;
        }
    }

    private BeyondText? Beyond => _more as BeyondText ?? (_more as WideText)?.Beyond;

    /// <summary>
    /// Whether the cost is five packed text parts and nothing beyond them: every part's mantissa is below 2^59, so their
    /// sum always fits in a <see cref="decimal"/> (<see cref="UsageRecord.Validate"/> skips its overflow check then).
    /// </summary>
    internal bool IsPackedTextOnly => _more is null;

    /// <summary>A cost of the five text parts alone (no long-TTL writes, audio, fees or tool calls), unchecked.</summary>
    internal static UsageCost CreateTrusted(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning)
    {
        var (a, b, c, d, e, more) = Layout(input, cachedInput, cacheWrite, output, reasoning, beyond: null);
        return new UsageCost(a, b, c, d, e, more);
    }

    /// <summary>A cost of every part, unchecked: parts computed from non-negative counts and prices, or sums of such.</summary>
    internal static UsageCost CreateTrusted(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, decimal cacheWriteLongTtl, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls)
    {
        var (a, b, c, d, e, more) = Layout(input, cachedInput, cacheWrite, output, reasoning, BeyondText.Of(cacheWriteLongTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls));
        return new UsageCost(a, b, c, d, e, more);
    }

    /// <summary>
    /// A text-only cost from five packed parts (<see cref="PackedAmount"/>, none of them <see cref="PackedAmount.None"/>),
    /// unchecked: the pricing hot path, which builds each part from an integer product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static UsageCost CreatePacked(ulong input, ulong cachedInput, ulong cacheWrite, ulong output, ulong reasoning) =>
        new(input, cachedInput, cacheWrite, output, reasoning, more: null);

    /// <summary>A cost from five packed text parts and the six parts beyond text, unchecked (the pricing path of a request with audio, fees or tool calls).</summary>
    internal static UsageCost CreatePacked(ulong input, ulong cachedInput, ulong cacheWrite, ulong output, ulong reasoning, decimal cacheWriteLongTtl, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls) =>
        new(input, cachedInput, cacheWrite, output, reasoning, BeyondText.Of(cacheWriteLongTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls));

    // Packs the text parts when all five fit, else keeps them as decimals out of line (with the beyond-text parts).
    private static (ulong Input, ulong CachedInput, ulong CacheWrite, ulong Output, ulong Reasoning, object? More) Layout(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, BeyondText? beyond)
    {
        var a = PackedAmount.Pack(input);
        var b = PackedAmount.Pack(cachedInput);
        var c = PackedAmount.Pack(cacheWrite);
        var d = PackedAmount.Pack(output);
        var e = PackedAmount.Pack(reasoning);
        return a == PackedAmount.None || b == PackedAmount.None || c == PackedAmount.None || d == PackedAmount.None || e == PackedAmount.None
            ? (0, 0, 0, 0, 0, new WideText(input, cachedInput, cacheWrite, output, reasoning, beyond))
            : (a, b, c, d, e, beyond);
    }

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

    /// <summary>The five text parts of a cost when one of them does not pack, with the parts beyond text, if any.</summary>
    private sealed class WideText(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, BeyondText? beyond)
    {
        public decimal Input { get; } = input;

        public decimal CachedInput { get; } = cachedInput;

        public decimal CacheWrite { get; } = cacheWrite;

        public decimal Output { get; } = output;

        public decimal Reasoning { get; } = reasoning;

        public BeyondText? Beyond { get; } = beyond;
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
