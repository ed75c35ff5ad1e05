using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// Sums that never wrap and never throw: counts saturate at <see cref="long.MaxValue"/>, money at
/// <see cref="decimal.MaxValue"/>. Every sum the library keeps (token counts, costs, scope buckets, queries) adds
/// non-negative values through these, so a hostile or absurd record can make a total "as large as it gets", never
/// negative and never an exception on a background thread.
/// </summary>
internal static class SaturatingArithmetic
{
    /// <summary>Adds two non-negative counts, saturating at <see cref="long.MaxValue"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Add(long left, long right)
    {
        var sum = unchecked(left + right);

        // Two non-negative values wrap only into the negative range.
        return sum < 0 && left >= 0 && right >= 0 ? long.MaxValue : sum;
    }

    /// <summary>Adds two non-negative amounts, saturating at <see cref="decimal.MaxValue"/>.</summary>
    public static decimal Add(decimal left, decimal right)
    {
        // A zero part adds nothing: when its scale is not above the other's, left + right is the other operand bit for
        // bit (the sum's scale is the larger one), so it is returned without decimal arithmetic. Most of a cost's
        // eleven parts are such zeros.
        if (right == 0m && right.Scale <= left.Scale)
        {
            return left;
        }

        if (left == 0m && left.Scale <= right.Scale)
        {
            return right;
        }

        // A saturated total that keeps receiving amounts stays cheap (no exception per add). The test is an equality:
        // comparing with decimal.MaxValue - right would cost a subtraction that must round, the slowest decimal path.
        if (left == decimal.MaxValue || right == decimal.MaxValue)
        {
            return decimal.MaxValue;
        }

        try
        {
            return left + right;
        }
        catch (OverflowException)
        {
            return decimal.MaxValue;
        }
    }

    /// <summary>Adds non-negative amounts, saturating at <see cref="decimal.MaxValue"/>.</summary>
    public static decimal Add(decimal a, decimal b, decimal c, decimal d, decimal e) => Add(Add(Add(Add(a, b), c), d), e);
}
