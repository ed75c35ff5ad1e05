using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// The aggregator's fast path for money sums (rollups, the metrics' cost counter), run once or more per record.
/// Costs are non-negative decimals far below <see cref="decimal.MaxValue"/>: when every operand's 96-bit mantissa fits
/// in 64 bits (<see cref="IsSmall"/>: a value below 2^64), no sum of a few dozen of them can reach
/// <see cref="decimal.MaxValue"/> (about 2^96), so a saturating sum is the plain sum and its guards (comparisons with
/// <see cref="decimal.MaxValue"/>, a room subtracted from it — the slowest decimal paths) can be skipped; and
/// <see cref="Add"/> computes that plain sum in integer steps.
/// </summary>
internal static class SmallDecimal
{
    /// <summary>Gets the bits that make a decimal not small: the high 32 bits of its mantissa and its sign.</summary>
    /// <remarks>
    /// <see cref="decimal"/> is laid out as flags (sign and scale), the high 32 bits of the mantissa, then its low 64
    /// bits; <c>SmallDecimalTests</c> holds this to <see cref="decimal.GetBits(decimal, Span{int})"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong LargeBits(decimal value)
    {
        var low = (ulong)Unsafe.BitCast<decimal, UInt128>(value);
        return low & 0xFFFF_FFFF_8000_0000UL;
    }

    /// <summary>Gets whether <paramref name="value"/> is not negative and its mantissa fits in 64 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSmall(decimal value) => LargeBits(value) == 0;

    /// <summary>
    /// Adds two non-negative amounts exactly as <c>left + right</c> does, bit for bit (the sum of two decimals is the
    /// exact sum at the larger of their scales when it fits in 96 bits, which it always does for small operands), but
    /// computed in 64-bit integer steps instead of the general decimal routine. Operands that are not small (see
    /// <see cref="IsSmall"/>), or scales too far apart to align in 64 bits, take <c>left + right</c>. A <c>0m</c> operand
    /// returns the other one, as <c>+</c> would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static decimal Add(decimal left, decimal right)
    {
        var l = Unsafe.BitCast<decimal, UInt128>(left);
        var r = Unsafe.BitCast<decimal, UInt128>(right);
        if (r == UInt128.Zero)
        {
            return left;
        }

        if (l == UInt128.Zero)
        {
            return right;
        }

        var lFlags = (ulong)l;
        var rFlags = (ulong)r;
        if (((lFlags | rFlags) & 0xFFFF_FFFF_8000_FFFFUL) != 0)
        {
            return left + right;
        }

        var lMantissa = (ulong)(l >> 64);
        var rMantissa = (ulong)(r >> 64);
        var lScale = (int)(lFlags >> 16) & 0xFF;
        var rScale = (int)(rFlags >> 16) & 0xFF;
        ulong high;
        ulong low;
        if (lScale == rScale)
        {
            low = lMantissa + rMantissa;
            high = low < lMantissa ? 1UL : 0UL;
        }
        else
        {
            // Align the operand of the smaller scale to the larger one: multiply its mantissa by 10^difference.
            var difference = lScale - rScale;
            ulong scaled;
            ulong other;
            if (difference < 0)
            {
                difference = -difference;
                scaled = lMantissa;
                other = rMantissa;
                lScale = rScale;
            }
            else
            {
                scaled = rMantissa;
                other = lMantissa;
            }

            if (difference >= PowersOfTen.Length)
            {
                return left + right;
            }

            high = Math.BigMul(scaled, PowersOfTen[difference], out low);
            low += other;
            if (low < other)
            {
                high++;
            }
        }

        if ((high >> 32) != 0)
        {
            return left + right;
        }

        return Unsafe.BitCast<UInt128, decimal>(new UInt128(low, (high << 32) | ((ulong)(uint)lScale << 16)));
    }

    /// <summary>10^0 … 10^19: every power of ten that fits in 64 bits (also <see cref="PackedAmount"/>'s table).</summary>
    internal static ReadOnlySpan<ulong> PowersOfTen =>
    [
        1UL, 10UL, 100UL, 1_000UL, 10_000UL,
        100_000UL, 1_000_000UL, 10_000_000UL, 100_000_000UL, 1_000_000_000UL,
        10_000_000_000UL, 100_000_000_000UL, 1_000_000_000_000UL, 10_000_000_000_000UL, 100_000_000_000_000UL,
        1_000_000_000_000_000UL, 10_000_000_000_000_000UL, 100_000_000_000_000_000UL, 1_000_000_000_000_000_000UL, 10_000_000_000_000_000_000UL,
    ];
}
