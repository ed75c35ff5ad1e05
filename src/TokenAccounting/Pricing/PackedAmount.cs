using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// A non-negative <see cref="decimal"/> whose mantissa fits in 59 bits, packed into one <see cref="ulong"/>: the
/// mantissa in the low 59 bits, the scale (0–28) in the top 5. Unpacking gives the decimal back bit for bit (value,
/// scale and sign), so a cost part can be kept in 8 bytes instead of 16 and built from an integer product without
/// decimal arithmetic. Amounts that do not fit (a larger mantissa, a negative zero) stay decimals.
/// </summary>
internal static class PackedAmount
{
    /// <summary>Not a packed amount (its scale field, 31, is above decimal's 28): "this part did not fit".</summary>
    public const ulong None = ulong.MaxValue;

    /// <summary>The largest mantissa a packed amount holds.</summary>
    public const ulong MaxMantissa = (1UL << MantissaBits) - 1;

    private const int MantissaBits = 59;

    /// <summary>The packed scale bits of a decimal scale, to be or-ed with a mantissa of at most <see cref="MaxMantissa"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ScaleBits(byte scale) => (ulong)scale << MantissaBits;

    /// <summary>Packs a decimal, or returns <see cref="None"/> when it does not fit.</summary>
    public static ulong Pack(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = (uint)bits[0] | ((ulong)(uint)bits[1] << 32);
        return bits[2] == 0 && !decimal.IsNegative(value) && mantissa <= MaxMantissa ? mantissa | ScaleBits(value.Scale) : None;
    }

    /// <summary>The decimal a packed amount stands for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static decimal Unpack(ulong packed) =>
        new((int)packed, (int)((packed >> 32) & (MaxMantissa >> 32)), 0, isNegative: false, (byte)(packed >> MantissaBits));

    /// <summary>
    /// The sum of five packed amounts exactly as <see cref="SaturatingArithmetic.Add(decimal, decimal, decimal, decimal, decimal)"/>
    /// gives it, computed on integers: non-negative decimals add exactly at the largest of their scales whenever that
    /// sum fits in 96 bits (no rounding, no trailing zero dropped). False when it would not fit (or a part would
    /// have to be scaled by more than 10^19): then decimal arithmetic decides.
    /// </summary>
    public static bool TrySum(ulong a, ulong b, ulong c, ulong d, ulong e, out decimal sum)
    {
        var scale = Math.Max(Math.Max(Math.Max(a >> MantissaBits, b >> MantissaBits), Math.Max(c >> MantissaBits, d >> MantissaBits)), e >> MantissaBits);
        var total = UInt128.Zero;
        if (!TryAdd(ref total, a, scale) || !TryAdd(ref total, b, scale) || !TryAdd(ref total, c, scale) || !TryAdd(ref total, d, scale) || !TryAdd(ref total, e, scale))
        {
            sum = default;
            return false;
        }

        var upper = (ulong)(total >> 64);
        if (upper > uint.MaxValue)
        {
            sum = default;
            return false;
        }

        var lower = (ulong)total;
        sum = new decimal((int)lower, (int)(lower >> 32), (int)upper, isNegative: false, (byte)scale);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAdd(ref UInt128 total, ulong packed, ulong scale)
    {
        var mantissa = packed & MaxMantissa;
        if (mantissa == 0)
        {
            return true;
        }

        var shift = scale - (packed >> MantissaBits);
        if (shift >= (ulong)SmallDecimal.PowersOfTen.Length)
        {
            return false;
        }

        // A 59-bit mantissa times at most 10^19 (< 2^64) stays below 2^123; five of them below 2^126: no overflow.
        var high = Math.BigMul(mantissa, SmallDecimal.PowersOfTen[(int)shift], out var low);
        total += new UInt128(high, low);
        return true;
    }
}
