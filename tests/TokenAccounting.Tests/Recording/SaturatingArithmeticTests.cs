namespace TokenAccounting.Tests.Recording;

public sealed class SaturatingArithmeticTests
{
    [Fact]
    public void AddDecimal_AnyNonNegativeAmounts_IsBitForBitTheOperatorOrSaturates()
    {
        // The fast paths (a zero part, the saturation check) must never change a sum's value or its scale: the scale
        // shows in every ledger line and report ("0.0100000" is not "0.01").
        var random = new Random(20261201);
        for (var i = 0; i < 200_000; i++)
        {
            var left = Amount(random);
            var right = Amount(random);
            decimal expected;
            try
            {
                expected = left + right;
            }
            catch (OverflowException)
            {
                expected = decimal.MaxValue;
            }

            var actual = SaturatingArithmetic.Add(left, right);

            decimal.GetBits(actual).ShouldBe(decimal.GetBits(expected), $"{left} (scale {left.Scale}) + {right} (scale {right.Scale})");
        }
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("0.000", "0")]
    [InlineData("0", "0.000")]
    [InlineData("0.00", "0.0000")]
    [InlineData("0.0000", "1.5")]
    [InlineData("1.5", "0.0000")]
    [InlineData("0", "1.50")]
    public void AddDecimal_ZeroOfAnyScale_KeepsTheOperatorsScale(string left, string right)
    {
        var a = decimal.Parse(left, System.Globalization.CultureInfo.InvariantCulture);
        var b = decimal.Parse(right, System.Globalization.CultureInfo.InvariantCulture);

        decimal.GetBits(SaturatingArithmetic.Add(a, b)).ShouldBe(decimal.GetBits(a + b));
    }

    [Fact]
    public void AddDecimal_SumPastTheLimit_Saturates()
    {
        SaturatingArithmetic.Add(decimal.MaxValue - 1m, 5m).ShouldBe(decimal.MaxValue);
        SaturatingArithmetic.Add(decimal.MaxValue, 0.0000001m).ShouldBe(decimal.MaxValue);
        SaturatingArithmetic.Add(0.5m, decimal.MaxValue).ShouldBe(decimal.MaxValue);
        SaturatingArithmetic.Add(decimal.MaxValue, decimal.MaxValue).ShouldBe(decimal.MaxValue);
        SaturatingArithmetic.Add(decimal.MaxValue / 2, decimal.MaxValue / 2 + 1m).ShouldBe(decimal.MaxValue);
    }

    /// <summary>Amounts as costs come: zeros of several scales, small prices times counts, and a few huge values.</summary>
    private static decimal Amount(Random random) => random.Next(8) switch
    {
        0 => new decimal(0, 0, 0, false, (byte)random.Next(0, 12)),
        1 => 0m,
        2 => new decimal(random.Next(), 0, 0, false, (byte)random.Next(0, 16)),
        3 => new decimal(random.Next(), random.Next(), 0, false, (byte)random.Next(0, 20)),
        4 => new decimal(random.Next(), random.Next(), random.Next(0, 1 << 20), false, (byte)random.Next(0, 28)),
        5 => new decimal(random.Next(), random.Next(), random.Next(), false, (byte)random.Next(0, 28)),
        _ => random.Next(1_000_000) * 0.0000025m,
    };
}
