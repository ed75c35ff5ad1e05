namespace TokenAccounting.Tests.Pipeline;

/// <summary>
/// The aggregator's integer fast path for money sums must be <c>decimal +</c> bit for bit (value and scale), and its
/// reading of a decimal's bits must match <see cref="decimal.GetBits(decimal)"/>.
/// </summary>
public sealed class SmallDecimalTests
{
    private static readonly decimal[] Samples =
    [
        0m, 0.0m, 0.000m, 1m, 1.0m, 0.0005m, 0.00125m, 0.002m, 2.5m, 0.0000025m, 0.000000000000000000000000001m,
        123456789.123456789m, 18446744073709551615m, 18446744073709551616m, 1844674407370955161.5m,
        79228162514264337593543950335m, 7922816251426433759354395033.5m, 0.9999999999999999999999999999m,
        decimal.MaxValue, 1e-28m, 99999999999999999999m, 4294967296m, 0.0000000001m, 1000000000000000000m,
    ];

    [Fact]
    public void Add_EverySamplePair_IsTheDecimalSumBitForBit()
    {
        foreach (var left in Samples)
        {
            foreach (var right in Samples)
            {
                decimal expected;
                try
                {
                    expected = left + right;
                }
                catch (OverflowException)
                {
                    Should.Throw<OverflowException>(() => SmallDecimal.Add(left, right));
                    continue;
                }

                var actual = SmallDecimal.Add(left, right);
                decimal.GetBits(actual).ShouldBe(decimal.GetBits(expected), $"{left} + {right}");
            }
        }
    }

    [Fact]
    public void Add_RandomMantissasAndScales_IsTheDecimalSumBitForBit()
    {
        var random = new Random(1234);
        for (var i = 0; i < 200_000; i++)
        {
            var left = RandomDecimal(random);
            var right = RandomDecimal(random);
            decimal expected;
            try
            {
                expected = left + right;
            }
            catch (OverflowException)
            {
                continue;
            }

            decimal.GetBits(SmallDecimal.Add(left, right)).ShouldBe(decimal.GetBits(expected), $"{left} + {right}");
        }
    }

    [Fact]
    public void IsSmall_MatchesTheMantissaHighWordAndSign()
    {
        var random = new Random(99);
        foreach (var value in Samples.Concat(Samples.Select(s => -s)).Concat(Enumerable.Range(0, 10_000).Select(_ => RandomDecimal(random))))
        {
            var bits = decimal.GetBits(value);
            var expected = bits[2] == 0 && bits[3] >= 0;
            SmallDecimal.IsSmall(value).ShouldBe(expected, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void IsZeroBits_OnlyPlainZero()
    {
        UsageCost.IsZeroBits(0m).ShouldBeTrue();
        UsageCost.IsZeroBits(0.00m).ShouldBeFalse();
        UsageCost.IsZeroBits(-0m * 1m).ShouldBe(decimal.GetBits(-0m * 1m).All(b => b == 0));
        UsageCost.IsZeroBits(1e-28m).ShouldBeFalse();
    }

    private static decimal RandomDecimal(Random random)
    {
        // Mostly small mantissas (the fast path), some with a high word, over every scale.
        var lo = random.Next();
        var mid = random.Next(4) == 0 ? 0 : random.Next();
        var hi = random.Next(5) == 0 ? random.Next() : 0;
        var scale = (byte)random.Next(29);
        return new decimal(lo, mid, hi, isNegative: false, scale);
    }
}
