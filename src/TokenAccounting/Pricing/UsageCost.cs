namespace TokenAccounting;

/// <summary>
/// The cost of a call (or of a rollup of calls) in US dollars, broken down by the same parts as
/// <c>ModelPrice</c>. All parts are ≥ 0 and <see cref="Total"/> is their exact decimal sum.
/// </summary>
public sealed class UsageCost : IEquatable<UsageCost>
{
    /// <summary>Creates a cost breakdown.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A part is negative.</exception>
    public UsageCost(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedInput);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheWrite);
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfNegative(reasoning);
        Input = input;
        CachedInput = cachedInput;
        CacheWrite = cacheWrite;
        Output = output;
        Reasoning = reasoning;
    }

    /// <summary>Gets a cost of zero.</summary>
    public static UsageCost Zero { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Gets the cost of uncached input tokens.</summary>
    public decimal Input { get; }

    /// <summary>Gets the cost of input tokens read from a cache.</summary>
    public decimal CachedInput { get; }

    /// <summary>Gets the cost of input tokens written to a cache (all TTLs).</summary>
    public decimal CacheWrite { get; }

    /// <summary>Gets the cost of output tokens that are not reasoning tokens.</summary>
    public decimal Output { get; }

    /// <summary>Gets the cost of reasoning tokens.</summary>
    public decimal Reasoning { get; }

    /// <summary>Gets the total cost in US dollars.</summary>
    public decimal Total => Input + CachedInput + CacheWrite + Output + Reasoning;

    /// <summary>Adds two costs part by part.</summary>
    public static UsageCost operator +(UsageCost left, UsageCost right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new UsageCost(
            left.Input + right.Input,
            left.CachedInput + right.CachedInput,
            left.CacheWrite + right.CacheWrite,
            left.Output + right.Output,
            left.Reasoning + right.Reasoning);
    }

    /// <summary>Adds two costs part by part (the named alternative to <c>+</c>).</summary>
    public static UsageCost Add(UsageCost left, UsageCost right) => left + right;

    /// <inheritdoc />
    public bool Equals(UsageCost? other) =>
        other is not null && Input == other.Input && CachedInput == other.CachedInput && CacheWrite == other.CacheWrite
        && Output == other.Output && Reasoning == other.Reasoning;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as UsageCost);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Input, CachedInput, CacheWrite, Output, Reasoning);

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"${Total} (in {Input}, cached {CachedInput}, cache-write {CacheWrite}, out {Output}, reasoning {Reasoning})");
}
