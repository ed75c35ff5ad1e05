using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// Normalized token counts of one call, in the inclusive semantics of the OpenTelemetry GenAI conventions:
/// <see cref="Input"/> includes cached and cache-written input, <see cref="Output"/> includes reasoning.
/// </summary>
/// <remarks>
/// Invariants, checked by every constructor and factory: all counts are ≥ 0;
/// <c>CachedInput + CacheWriteInput ≤ Input</c>; <c>CacheWriteLongTtlInput ≤ CacheWriteInput</c>;
/// <c>Reasoning ≤ Output</c>; <c>Input + Output</c> fits in a <see cref="long"/> (so <see cref="Total"/> is exact).
/// Audio parts: <c>CachedInputAudio ≤ InputAudio</c>, <c>CachedInputAudio ≤ CachedInput</c>,
/// <c>InputAudio − CachedInputAudio ≤ Input − CachedInput − CacheWriteInput</c> (uncached audio is part of the
/// uncached input; no provider reports audio cache writes) and <c>Reasoning + OutputAudio ≤ Output</c> (audio output
/// is not reasoning).
/// Providers count differently: use <see cref="FromOpenAI"/>, <see cref="FromAnthropic"/> or
/// <see cref="FromGemini"/> (or <c>UsageParsers</c>) to normalize.
/// <para>
/// Sums never wrap and never throw: <c>+</c> saturates each count at <see cref="long.MaxValue"/> (a contained count is
/// capped at its container, so the invariants between the parts still hold), and <see cref="Total"/> saturates at
/// <see cref="long.MaxValue"/>. A saturated sum is not valid input to <c>Record()</c>, which rejects counts whose
/// total does not fit.
/// </para>
/// </remarks>
public readonly record struct TokenCounts
{
    /// <summary>Creates token counts and checks their invariants.</summary>
    /// <param name="input">All input (prompt) tokens, including cached and cache-written ones.</param>
    /// <param name="output">All output tokens, including reasoning tokens.</param>
    /// <param name="cachedInput">Input tokens read from the provider's prompt cache.</param>
    /// <param name="cacheWriteInput">Input tokens written to the provider's prompt cache.</param>
    /// <param name="cacheWriteLongTtlInput">The part of <paramref name="cacheWriteInput"/> written with a TTL of one hour or more.</param>
    /// <param name="reasoning">The part of <paramref name="output"/> spent on reasoning.</param>
    /// <exception cref="ArgumentException">A count is negative, an invariant is violated, or <c>input + output</c> does not fit in a <see cref="long"/>; the message names the field and the rule.</exception>
    public TokenCounts(long input, long output, long cachedInput = 0, long cacheWriteInput = 0, long cacheWriteLongTtlInput = 0, long reasoning = 0)
    {
        if (!HoldInvariants(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning, 0, 0, 0))
        {
            Validate(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning);
        }

        Input = input;
        Output = output;
        CachedInput = cachedInput;
        CacheWriteInput = cacheWriteInput;
        CacheWriteLongTtlInput = cacheWriteLongTtlInput;
        Reasoning = reasoning;
    }

    /// <summary>Creates token counts with audio parts and checks their invariants.</summary>
    /// <param name="input">All input (prompt) tokens, including cached, cache-written and audio ones.</param>
    /// <param name="output">All output tokens, including reasoning and audio tokens.</param>
    /// <param name="cachedInput">Input tokens read from the provider's prompt cache (audio included).</param>
    /// <param name="cacheWriteInput">Input tokens written to the provider's prompt cache.</param>
    /// <param name="cacheWriteLongTtlInput">The part of <paramref name="cacheWriteInput"/> written with a TTL of one hour or more.</param>
    /// <param name="reasoning">The part of <paramref name="output"/> spent on reasoning.</param>
    /// <param name="inputAudio">The part of <paramref name="input"/> that is audio, cached audio included.</param>
    /// <param name="cachedInputAudio">The part of <paramref name="inputAudio"/> (and of <paramref name="cachedInput"/>) read from a cache.</param>
    /// <param name="outputAudio">The part of <paramref name="output"/> that is audio (not reasoning).</param>
    /// <exception cref="ArgumentException">A count is negative, an invariant is violated, or <c>input + output</c> does not fit in a <see cref="long"/>; the message names the field and the rule.</exception>
    public TokenCounts(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning, long inputAudio, long cachedInputAudio = 0, long outputAudio = 0)
    {
        if (!HoldInvariants(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning, inputAudio, cachedInputAudio, outputAudio))
        {
            Validate(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning);
            ValidateAudio(input, output, cachedInput, cacheWriteInput, reasoning, inputAudio, cachedInputAudio, outputAudio);
        }

        Input = input;
        Output = output;
        CachedInput = cachedInput;
        CacheWriteInput = cacheWriteInput;
        CacheWriteLongTtlInput = cacheWriteLongTtlInput;
        Reasoning = reasoning;
        InputAudio = inputAudio;
        CachedInputAudio = cachedInputAudio;
        OutputAudio = outputAudio;
    }

    /// <summary>Gets no tokens at all.</summary>
    public static TokenCounts Zero => default;

    /// <summary>Gets all input tokens, including <see cref="CachedInput"/> and <see cref="CacheWriteInput"/>.</summary>
    public long Input { get; }

    /// <summary>Gets all output tokens, including <see cref="Reasoning"/>.</summary>
    public long Output { get; }

    /// <summary>Gets the input tokens read from a prompt cache (part of <see cref="Input"/>).</summary>
    public long CachedInput { get; }

    /// <summary>Gets the input tokens written to a prompt cache (part of <see cref="Input"/>).</summary>
    public long CacheWriteInput { get; }

    /// <summary>Gets the part of <see cref="CacheWriteInput"/> written with a TTL of one hour or more.</summary>
    public long CacheWriteLongTtlInput { get; }

    /// <summary>Gets the output tokens spent on reasoning (part of <see cref="Output"/>).</summary>
    public long Reasoning { get; }

    /// <summary>Gets the input tokens that are audio (part of <see cref="Input"/>; includes <see cref="CachedInputAudio"/>). Priced at the audio input rate.</summary>
    public long InputAudio { get; }

    /// <summary>Gets the audio input tokens read from a cache (part of <see cref="InputAudio"/> and of <see cref="CachedInput"/>).</summary>
    public long CachedInputAudio { get; }

    /// <summary>Gets the output tokens that are audio (part of <see cref="Output"/>, not of <see cref="Reasoning"/>). Priced at the audio output rate.</summary>
    public long OutputAudio { get; }

    /// <summary>Gets <see cref="Input"/> + <see cref="Output"/>; saturates at <see cref="long.MaxValue"/> (only a saturated sum gets there).</summary>
    public long Total => SaturatingArithmetic.Add(Input, Output);

    /// <summary>Gets the input tokens neither read from nor written to a cache.</summary>
    public long UncachedInput => Input - CachedInput - CacheWriteInput;

    /// <summary>Gets whether every count is zero.</summary>
    public bool IsZero => Input == 0 && Output == 0;

    /// <summary>
    /// Adds two counts field by field. Never wraps and never throws: a sum that does not fit saturates at
    /// <see cref="long.MaxValue"/>, and a contained count (cached, cache-write, long-TTL, reasoning) is then capped at
    /// its container so the invariants still hold.
    /// </summary>
    public static TokenCounts operator +(TokenCounts left, TokenCounts right) => Saturated(
        SaturatingArithmetic.Add(left.Input, right.Input),
        SaturatingArithmetic.Add(left.Output, right.Output),
        SaturatingArithmetic.Add(left.CachedInput, right.CachedInput),
        SaturatingArithmetic.Add(left.CacheWriteInput, right.CacheWriteInput),
        SaturatingArithmetic.Add(left.CacheWriteLongTtlInput, right.CacheWriteLongTtlInput),
        SaturatingArithmetic.Add(left.Reasoning, right.Reasoning),
        SaturatingArithmetic.Add(left.InputAudio, right.InputAudio),
        SaturatingArithmetic.Add(left.CachedInputAudio, right.CachedInputAudio),
        SaturatingArithmetic.Add(left.OutputAudio, right.OutputAudio));

    /// <summary>Adds two counts field by field, saturating (the named alternative to <c>+</c>).</summary>
    public static TokenCounts Add(TokenCounts left, TokenCounts right) => left + right;

    /// <summary>Returns these counts with the given audio parts, checking the audio invariants against the text counts.</summary>
    /// <param name="inputAudio">The part of <see cref="Input"/> that is audio, cached audio included.</param>
    /// <param name="cachedInputAudio">The part of <paramref name="inputAudio"/> (and of <see cref="CachedInput"/>) read from a cache.</param>
    /// <param name="outputAudio">The part of <see cref="Output"/> that is audio.</param>
    /// <returns>The counts with their audio parts replaced.</returns>
    /// <exception cref="ArgumentException">An audio count is negative or breaks an invariant; the message names the field and the rule.</exception>
    public TokenCounts WithAudio(long inputAudio, long cachedInputAudio = 0, long outputAudio = 0) =>
        new(Input, Output, CachedInput, CacheWriteInput, CacheWriteLongTtlInput, Reasoning, inputAudio, cachedInputAudio, outputAudio);

    /// <summary>
    /// Normalizes OpenAI usage (Chat Completions <c>prompt_tokens</c>/<c>completion_tokens</c>, or Responses
    /// <c>input_tokens</c>/<c>output_tokens</c>): the prompt already includes cached tokens and the completion
    /// already includes reasoning tokens, so they are taken as they are.
    /// </summary>
    /// <param name="promptTokens"><c>prompt_tokens</c> (or <c>input_tokens</c>), cached tokens included.</param>
    /// <param name="completionTokens"><c>completion_tokens</c> (or <c>output_tokens</c>), reasoning tokens included.</param>
    /// <param name="cachedTokens"><c>prompt_tokens_details.cached_tokens</c>.</param>
    /// <param name="reasoningTokens"><c>completion_tokens_details.reasoning_tokens</c>.</param>
    public static TokenCounts FromOpenAI(long promptTokens, long completionTokens, long cachedTokens = 0, long reasoningTokens = 0)
    {
        ThrowIfNegative(promptTokens, nameof(promptTokens));
        ThrowIfNegative(completionTokens, nameof(completionTokens));
        ThrowIfNegative(cachedTokens, nameof(cachedTokens));
        ThrowIfNegative(reasoningTokens, nameof(reasoningTokens));
        if (cachedTokens > promptTokens)
        {
            throw new ArgumentException($"cachedTokens ({cachedTokens}) must not exceed promptTokens ({promptTokens}): OpenAI's prompt count already includes cached tokens.", nameof(cachedTokens));
        }

        if (reasoningTokens > completionTokens)
        {
            throw new ArgumentException($"reasoningTokens ({reasoningTokens}) must not exceed completionTokens ({completionTokens}): OpenAI's completion count already includes reasoning tokens.", nameof(reasoningTokens));
        }

        ThrowIfTotalOverflows(promptTokens, completionTokens, nameof(completionTokens));
        return new TokenCounts(promptTokens, completionTokens, cachedTokens, 0, 0, reasoningTokens, trusted: true);
    }

    /// <summary>
    /// Normalizes Anthropic Messages usage: Anthropic's <c>input_tokens</c> excludes cache reads and cache writes,
    /// so <see cref="Input"/> = input + cacheRead + cacheCreation.
    /// </summary>
    /// <param name="inputTokens"><c>input_tokens</c> (uncached input only).</param>
    /// <param name="outputTokens"><c>output_tokens</c>.</param>
    /// <param name="cacheReadInputTokens"><c>cache_read_input_tokens</c>.</param>
    /// <param name="cacheCreationInputTokens"><c>cache_creation_input_tokens</c> (all TTLs).</param>
    /// <param name="cacheCreation1hInputTokens"><c>cache_creation.ephemeral_1h_input_tokens</c>, part of <paramref name="cacheCreationInputTokens"/>.</param>
    public static TokenCounts FromAnthropic(long inputTokens, long outputTokens, long cacheReadInputTokens = 0, long cacheCreationInputTokens = 0, long cacheCreation1hInputTokens = 0)
    {
        ThrowIfNegative(inputTokens, nameof(inputTokens));
        ThrowIfNegative(outputTokens, nameof(outputTokens));
        ThrowIfNegative(cacheReadInputTokens, nameof(cacheReadInputTokens));
        ThrowIfNegative(cacheCreationInputTokens, nameof(cacheCreationInputTokens));
        ThrowIfNegative(cacheCreation1hInputTokens, nameof(cacheCreation1hInputTokens));
        if (cacheCreation1hInputTokens > cacheCreationInputTokens)
        {
            throw new ArgumentException($"cacheCreation1hInputTokens ({cacheCreation1hInputTokens}) must not exceed cacheCreationInputTokens ({cacheCreationInputTokens}): the 1-hour cache writes are part of all cache writes.", nameof(cacheCreation1hInputTokens));
        }

        if (cacheReadInputTokens > long.MaxValue - inputTokens || cacheCreationInputTokens > long.MaxValue - inputTokens - cacheReadInputTokens)
        {
            throw new ArgumentOutOfRangeException(
                nameof(cacheCreationInputTokens),
                $"inputTokens ({inputTokens}) + cacheReadInputTokens ({cacheReadInputTokens}) + cacheCreationInputTokens ({cacheCreationInputTokens}) must fit in a 64-bit count: they add up to the normalized input.");
        }

        var input = inputTokens + cacheReadInputTokens + cacheCreationInputTokens;
        ThrowIfTotalOverflows(input, outputTokens, nameof(outputTokens));
        return new TokenCounts(input, outputTokens, cacheReadInputTokens, cacheCreationInputTokens, cacheCreation1hInputTokens, 0, trusted: true);
    }

    /// <summary>
    /// Normalizes Gemini <c>usageMetadata</c>: <c>promptTokenCount</c> already includes cached content, while
    /// <c>candidatesTokenCount</c> excludes thoughts, so <see cref="Output"/> = candidates + thoughts.
    /// </summary>
    /// <param name="promptTokenCount"><c>promptTokenCount</c>, cached content included.</param>
    /// <param name="candidatesTokenCount"><c>candidatesTokenCount</c>, thoughts excluded.</param>
    /// <param name="cachedContentTokenCount"><c>cachedContentTokenCount</c>.</param>
    /// <param name="thoughtsTokenCount"><c>thoughtsTokenCount</c>.</param>
    public static TokenCounts FromGemini(long promptTokenCount, long candidatesTokenCount, long cachedContentTokenCount = 0, long thoughtsTokenCount = 0)
    {
        ThrowIfNegative(promptTokenCount, nameof(promptTokenCount));
        ThrowIfNegative(candidatesTokenCount, nameof(candidatesTokenCount));
        ThrowIfNegative(cachedContentTokenCount, nameof(cachedContentTokenCount));
        ThrowIfNegative(thoughtsTokenCount, nameof(thoughtsTokenCount));
        if (cachedContentTokenCount > promptTokenCount)
        {
            throw new ArgumentException($"cachedContentTokenCount ({cachedContentTokenCount}) must not exceed promptTokenCount ({promptTokenCount}): Gemini's prompt count already includes cached content.", nameof(cachedContentTokenCount));
        }

        if (thoughtsTokenCount > long.MaxValue - candidatesTokenCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(thoughtsTokenCount),
                $"candidatesTokenCount ({candidatesTokenCount}) + thoughtsTokenCount ({thoughtsTokenCount}) must fit in a 64-bit count: they add up to the normalized output.");
        }

        var output = candidatesTokenCount + thoughtsTokenCount;
        ThrowIfTotalOverflows(promptTokenCount, output, nameof(candidatesTokenCount));
        return new TokenCounts(promptTokenCount, output, cachedContentTokenCount, 0, 0, thoughtsTokenCount, trusted: true);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = $"in={Input} (cached {CachedInput}, cache-write {CacheWriteInput}, 1h {CacheWriteLongTtlInput}) out={Output} (reasoning {Reasoning})";
        return InputAudio == 0 && OutputAudio == 0 ? text : text + $" audio in={InputAudio} (cached {CachedInputAudio}) out={OutputAudio}";
    }

    // Used where the invariants are already known to hold (sums of valid counts, normalized factories).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TokenCounts(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning, bool trusted, long inputAudio = 0, long cachedInputAudio = 0, long outputAudio = 0)
    {
        _ = trusted;
        Input = input;
        Output = output;
        CachedInput = cachedInput;
        CacheWriteInput = cacheWriteInput;
        CacheWriteLongTtlInput = cacheWriteLongTtlInput;
        Reasoning = reasoning;
        InputAudio = inputAudio;
        CachedInputAudio = cachedInputAudio;
        OutputAudio = outputAudio;
    }

    /// <summary>Checks the invariants of counts that may have been built without the constructor (a saturated sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Validate()
    {
        if (!HoldInvariants(Input, Output, CachedInput, CacheWriteInput, CacheWriteLongTtlInput, Reasoning, InputAudio, CachedInputAudio, OutputAudio))
        {
            ValidateInDetail();
        }
    }

    /// <summary>
    /// Whether every invariant holds, as one branch-free test: exactly when <see cref="Validate(long, long, long, long, long, long)"/>
    /// and <see cref="ValidateAudio"/> would pass, so they run (to name the broken rule) only when it is false. A test holds
    /// the two to the same answer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool HoldInvariants(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning, long inputAudio, long cachedInputAudio, long outputAudio)
    {
        // Every count ≥ 0: then no difference below can overflow. The remaining terms are evaluated without short-circuit;
        // one of them can only wrap when an earlier one (the text rules) is false, and the conjunction is false anyway.
        if ((input | output | cachedInput | cacheWriteInput | cacheWriteLongTtlInput | reasoning | inputAudio | cachedInputAudio | outputAudio) < 0)
        {
            return false;
        }

        return (cachedInput <= input - cacheWriteInput)
            & (cacheWriteLongTtlInput <= cacheWriteInput)
            & (reasoning <= output)
            & (output <= long.MaxValue - input)
            & (cachedInputAudio <= inputAudio)
            & (cachedInputAudio <= cachedInput)
            & (inputAudio - cachedInputAudio <= input - cachedInput - cacheWriteInput)
            & (outputAudio <= output - reasoning);
    }

    // The rule-by-rule checks that name what is broken (and throw), kept out of the callers' code.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ValidateInDetail() =>
        ValidateRuleByRule(Input, Output, CachedInput, CacheWriteInput, CacheWriteLongTtlInput, Reasoning, InputAudio, CachedInputAudio, OutputAudio);

    /// <summary>The invariants checked one by one, in order, throwing for the first that is broken (tests compare <see cref="HoldInvariants"/> with it).</summary>
    internal static void ValidateRuleByRule(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning, long inputAudio, long cachedInputAudio, long outputAudio)
    {
        Validate(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning);
        ValidateAudio(input, output, cachedInput, cacheWriteInput, reasoning, inputAudio, cachedInputAudio, outputAudio);
    }

    // Used where the invariants are already known to hold, audio included.
    internal static TokenCounts Trusted(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning, long inputAudio, long cachedInputAudio, long outputAudio) =>
        new(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning, trusted: true, inputAudio, cachedInputAudio, outputAudio);

    /// <summary>
    /// Builds counts from sums that may have saturated at <see cref="long.MaxValue"/> (never negative): each contained
    /// count is capped at its container, so the invariants between the parts hold; the total may saturate.
    /// </summary>
    internal static TokenCounts Saturated(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning, long inputAudio = 0, long cachedInputAudio = 0, long outputAudio = 0)
    {
        // Only a saturated container can be smaller than its parts' sum; for exact sums of valid counts these are no-ops.
        cacheWriteInput = Math.Min(cacheWriteInput, input);
        cachedInput = Math.Min(cachedInput, input - cacheWriteInput);
        cacheWriteLongTtlInput = Math.Min(cacheWriteLongTtlInput, cacheWriteInput);
        reasoning = Math.Min(reasoning, output);
        cachedInputAudio = Math.Min(cachedInputAudio, Math.Min(cachedInput, inputAudio));
        inputAudio = Math.Min(inputAudio, cachedInputAudio + (input - cachedInput - cacheWriteInput));
        outputAudio = Math.Min(outputAudio, output - reasoning);
        return Trusted(input, output, cachedInput, cacheWriteInput, cacheWriteLongTtlInput, reasoning, inputAudio, cachedInputAudio, outputAudio);
    }

#pragma warning disable CA2208 // The paramName is the field the caller must fix, as the field is what the rule is about.
    private static void Validate(long input, long output, long cachedInput, long cacheWriteInput, long cacheWriteLongTtlInput, long reasoning)
    {
        ThrowIfNegative(input, nameof(Input));
        ThrowIfNegative(output, nameof(Output));
        ThrowIfNegative(cachedInput, nameof(CachedInput));
        ThrowIfNegative(cacheWriteInput, nameof(CacheWriteInput));
        ThrowIfNegative(cacheWriteLongTtlInput, nameof(CacheWriteLongTtlInput));
        ThrowIfNegative(reasoning, nameof(Reasoning));
        // Compared as a difference: the sum of two large counts would overflow and slip past the check.
        if (cachedInput > input - cacheWriteInput)
        {
            throw new ArgumentException($"CachedInput ({cachedInput}) + CacheWriteInput ({cacheWriteInput}) must not exceed Input ({input}): Input includes cached and cache-written tokens.", nameof(CachedInput));
        }

        if (cacheWriteLongTtlInput > cacheWriteInput)
        {
            throw new ArgumentException($"CacheWriteLongTtlInput ({cacheWriteLongTtlInput}) must not exceed CacheWriteInput ({cacheWriteInput}): long-TTL cache writes are part of all cache writes.", nameof(CacheWriteLongTtlInput));
        }

        if (reasoning > output)
        {
            throw new ArgumentException($"Reasoning ({reasoning}) must not exceed Output ({output}): Output includes reasoning tokens.", nameof(Reasoning));
        }

        ThrowIfTotalOverflows(input, output, nameof(Total));
    }

    private static void ValidateAudio(long input, long output, long cachedInput, long cacheWriteInput, long reasoning, long inputAudio, long cachedInputAudio, long outputAudio)
    {
        ThrowIfNegative(inputAudio, nameof(InputAudio));
        ThrowIfNegative(cachedInputAudio, nameof(CachedInputAudio));
        ThrowIfNegative(outputAudio, nameof(OutputAudio));
        if (cachedInputAudio > inputAudio)
        {
            throw new ArgumentException($"CachedInputAudio ({cachedInputAudio}) must not exceed InputAudio ({inputAudio}): InputAudio includes cached audio.", nameof(CachedInputAudio));
        }

        if (cachedInputAudio > cachedInput)
        {
            throw new ArgumentException($"CachedInputAudio ({cachedInputAudio}) must not exceed CachedInput ({cachedInput}): CachedInput includes cached audio.", nameof(CachedInputAudio));
        }

        // Differences of valid counts cannot overflow: every part is ≥ 0 and at most its container.
        if (inputAudio - cachedInputAudio > input - cachedInput - cacheWriteInput)
        {
            throw new ArgumentException(
                $"InputAudio ({inputAudio}) − CachedInputAudio ({cachedInputAudio}) must not exceed Input ({input}) − CachedInput ({cachedInput}) − CacheWriteInput ({cacheWriteInput}): uncached audio is part of the uncached input.",
                nameof(InputAudio));
        }

        if (outputAudio > output - reasoning)
        {
            throw new ArgumentException($"OutputAudio ({outputAudio}) + Reasoning ({reasoning}) must not exceed Output ({output}): Output includes audio and reasoning tokens, which are apart.", nameof(OutputAudio));
        }
    }

#pragma warning restore CA2208

    private static void ThrowIfTotalOverflows(long input, long output, string name)
    {
        if (output > long.MaxValue - input)
        {
            throw new ArgumentOutOfRangeException(name, $"Input ({input}) + Output ({output}) must fit in a 64-bit count (at most {long.MaxValue}): Total would overflow.");
        }
    }

    private static void ThrowIfNegative(long value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or greater (was {value}).");
        }
    }
}
