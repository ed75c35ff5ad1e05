using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// A per-token rate with its decimal bits taken apart once, so that <c>count × rate</c> is one 64 × 64-bit integer
/// multiply instead of a <see cref="decimal"/> multiply, with a result identical bit for bit.
/// </summary>
/// <remarks>
/// A decimal product of two non-negative operands whose 96-bit mantissas multiply into at most 96 bits, at a scale of
/// at most 28, is exact: its mantissa is the product of the mantissas and its scale the sum of the scales (decimal
/// multiplication never trims trailing zeros). A count converted to decimal has scale 0, so the product keeps the
/// rate's scale. <see cref="Times"/> builds that result directly when the rate's mantissa is non-zero and fits in 64
/// bits and the product in 96; anything else (a zero or 96-bit rate mantissa, a product that must round) takes the
/// decimal multiply.
/// </remarks>
internal readonly struct ExactRate
{
    private readonly ulong _mantissa;
    private readonly ulong _scaleBits;

    // The mantissa when the rate takes the fast path and it fits in 32 bits (almost every rate: $2.50 per million
    // is 25 at scale 7), else 0: a count of up to 32 bits times it is one 64-bit multiply.
    private readonly ulong _mantissa32;
    private readonly byte _scale;
    private readonly bool _fast;

    public ExactRate(decimal value)
    {
        Value = value;
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        _scale = value.Scale;
        _scaleBits = PackedAmount.ScaleBits(_scale);
        _mantissa = (uint)bits[0] | ((ulong)(uint)bits[1] << 32);

        // A zero rate stays on the decimal path: decimal keeps a zero product's scale when both operands fit in 32
        // bits and drops it (0m) otherwise, a distinction not worth copying for free models.
        _fast = bits[2] == 0 && _mantissa != 0 && !decimal.IsNegative(value);
        _mantissa32 = _fast && _mantissa <= uint.MaxValue ? _mantissa : 0;
    }

    /// <summary>Gets the rate per token.</summary>
    public decimal Value { get; }

    /// <summary>Returns <c>count × Value</c> exactly as decimal multiplication would, or <c>0m</c> for no tokens.</summary>
    /// <param name="count">A non-negative token count.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public decimal Times(long count)
    {
        if (count == 0)
        {
            return 0m;
        }

        if (_fast && count > 0)
        {
            var high = Math.BigMul((ulong)count, _mantissa, out var low);
            if (high <= uint.MaxValue)
            {
                return new decimal((int)low, (int)(low >> 32), (int)high, isNegative: false, _scale);
            }
        }

        return Multiply(count);
    }

    /// <summary>
    /// Returns <c>count × Value</c> packed (<see cref="PackedAmount"/>), bit for bit what <see cref="Times"/> returns,
    /// or <see cref="PackedAmount.None"/> when the product takes the decimal path or its mantissa needs more than 59 bits.
    /// </summary>
    /// <param name="count">A non-negative token count.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong TimesPacked(long count)
    {
        if ((ulong)count <= uint.MaxValue && _mantissa32 != 0)
        {
            // Below 2^64: no overflow. No tokens cost 0m (mantissa 0, scale 0), not zero at the rate's scale.
            var product = (ulong)count * _mantissa32;
            if (product <= PackedAmount.MaxMantissa)
            {
                return count == 0 ? 0 : product | _scaleBits;
            }
        }

        return TimesPackedWide(count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong TimesPackedWide(long count)
    {
        if (count == 0)
        {
            return 0;
        }

        if (_fast && count > 0)
        {
            var high = Math.BigMul((ulong)count, _mantissa, out var low);
            if (high == 0 && low <= PackedAmount.MaxMantissa)
            {
                return low | _scaleBits;
            }
        }

        return PackedAmount.None;
    }

    // Out of line: the rare path would otherwise be inlined with every part of every cost.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private decimal Multiply(long count) => count * Value;
}
