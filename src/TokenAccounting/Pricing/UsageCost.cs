namespace TokenAccounting;

/// <summary>
/// The cost of a call (or of a rollup of calls) in US dollars, broken down by the same parts as
/// <see cref="ModelPrice"/>. All parts are ≥ 0 and <see cref="Total"/> is their exact decimal sum.
/// </summary>
/// <remarks>
/// <see cref="CacheWriteLongTtl"/> is the part of <see cref="CacheWrite"/> spent on cache writes with a TTL of one
/// hour or more; it is already included in <see cref="CacheWrite"/> and is not added to <see cref="Total"/> again.
/// </remarks>
public sealed class UsageCost : IEquatable<UsageCost>
{
    /// <summary>Creates a cost breakdown.</summary>
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
    {
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedInput);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheWrite);
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfNegative(reasoning);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheWriteLongTtl);
        if (cacheWriteLongTtl > cacheWrite)
        {
            throw new ArgumentOutOfRangeException(nameof(cacheWriteLongTtl), cacheWriteLongTtl, $"cacheWriteLongTtl ({cacheWriteLongTtl}) must not exceed cacheWrite ({cacheWrite}): long-TTL writes are part of all cache writes.");
        }

        Input = input;
        CachedInput = cachedInput;
        CacheWrite = cacheWrite;
        Output = output;
        Reasoning = reasoning;
        CacheWriteLongTtl = cacheWriteLongTtl;
    }

    /// <summary>Gets a cost of zero.</summary>
    public static UsageCost Zero { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Gets the cost of uncached input tokens.</summary>
    public decimal Input { get; }

    /// <summary>Gets the cost of input tokens read from a cache.</summary>
    public decimal CachedInput { get; }

    /// <summary>Gets the cost of input tokens written to a cache (all TTLs).</summary>
    public decimal CacheWrite { get; }

    /// <summary>Gets the part of <see cref="CacheWrite"/> spent on cache writes with a TTL of one hour or more (not added to <see cref="Total"/> twice).</summary>
    public decimal CacheWriteLongTtl { get; }

    /// <summary>Gets the cost of output tokens that are not reasoning tokens.</summary>
    public decimal Output { get; }

    /// <summary>Gets the cost of reasoning tokens.</summary>
    public decimal Reasoning { get; }

    /// <summary>Gets the total cost in US dollars; saturates at <see cref="decimal.MaxValue"/> (only a saturated sum gets there: <c>Record()</c> rejects a cost whose total does not fit).</summary>
    public decimal Total => SaturatingArithmetic.Add(Input, CachedInput, CacheWrite, Output, Reasoning);

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
            Math.Min(cacheWrite, SaturatingArithmetic.Add(left.CacheWriteLongTtl, right.CacheWriteLongTtl)));
    }

    /// <summary>Adds two costs part by part, saturating (the named alternative to <c>+</c>).</summary>
    public static UsageCost Add(UsageCost left, UsageCost right) => left + right;

    /// <inheritdoc />
    public bool Equals(UsageCost? other) =>
        other is not null && Input == other.Input && CachedInput == other.CachedInput && CacheWrite == other.CacheWrite
        && Output == other.Output && Reasoning == other.Reasoning && CacheWriteLongTtl == other.CacheWriteLongTtl;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as UsageCost);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Input, CachedInput, CacheWrite, Output, Reasoning, CacheWriteLongTtl);

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"${Total} (in {Input}, cached {CachedInput}, cache-write {CacheWrite} (1h {CacheWriteLongTtl}), out {Output}, reasoning {Reasoning})");
}
