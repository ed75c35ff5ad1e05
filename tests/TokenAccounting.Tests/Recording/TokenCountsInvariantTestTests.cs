namespace TokenAccounting.Tests.Recording;

/// <summary>
/// TokenCounts checks its invariants with one branch-free test and runs the rule-by-rule checks (which name the broken
/// rule) only when it fails: the two must agree on every input, or a broken count would pass.
/// </summary>
public sealed class TokenCountsInvariantTestTests
{
    // Values at and around every boundary the rules compare against, overflow included.
    private static readonly long[] Edges =
    [
        0, 1, 2, 3, 7, 100, 1000, -1, -2, long.MinValue, long.MinValue + 1, long.MaxValue, long.MaxValue - 1,
        long.MaxValue / 2, (long.MaxValue / 2) + 1, (long.MaxValue / 2) - 1, long.MaxValue / 3, -(long.MaxValue / 2),
    ];

    [Fact]
    public void HoldInvariants_RandomCountsNearEveryBoundary_AgreesWithTheRuleByRuleChecks()
    {
        var random = new Random(12_345);
        var values = new long[9];
        var held = 0;
        for (var n = 0; n < 400_000; n++)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = random.Next(4) switch
                {
                    0 => Edges[random.Next(Edges.Length)],
                    1 => random.Next(0, 50),
                    2 => random.NextInt64(long.MinValue, long.MaxValue),
                    _ => random.NextInt64(0, 2_000),
                };
            }

            // Bias towards valid counts too: contained parts drawn below their containers.
            if (n % 3 == 0)
            {
                values[2] = Below(random, values[0]);
                values[3] = Below(random, values[0] - values[2]);
                values[4] = Below(random, values[3]);
                values[5] = Below(random, values[1]);
                values[7] = Below(random, values[2]);
                values[6] = values[7] + Below(random, values[0] - values[2] - values[3]);
                values[8] = Below(random, values[1] - values[5]);
            }

            var holds = TokenCounts.HoldInvariants(values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7], values[8]);
            var passes = PassesRuleByRule(values);
            if (holds != passes)
            {
                Assert.Fail($"HoldInvariants said {holds}, the rule-by-rule checks {passes}, for ({string.Join(", ", values)}).");
            }

            held += holds ? 1 : 0;
        }

        // Both answers were exercised many times.
        held.ShouldBeGreaterThan(10_000);
        held.ShouldBeLessThan(390_000);
    }

    [Theory]
    [InlineData(10, 5, 11, 0, 0, 0, 0, 0, 0, "CachedInput")]
    [InlineData(10, 5, 0, 0, 0, 6, 0, 0, 0, "Reasoning")]
    [InlineData(long.MaxValue, 1, 0, 0, 0, 0, 0, 0, 0, "Total")]
    [InlineData(10, 5, 0, 0, 0, 0, 0, 0, -1, "OutputAudio")]
    [InlineData(10, 5, 2, 0, 0, 0, 9, 0, 0, "InputAudio")]
    public void Validate_BrokenInvariant_ThrowsTheRuleByRuleError(long input, long output, long cached, long cacheWrite, long longTtl, long reasoning, long inputAudio, long cachedAudio, long outputAudio, string param)
    {
        var counts = TokenCounts.Trusted(input, output, cached, cacheWrite, longTtl, reasoning, inputAudio, cachedAudio, outputAudio);
        var expected = Should.Throw<ArgumentException>(() => TokenCounts.ValidateRuleByRule(input, output, cached, cacheWrite, longTtl, reasoning, inputAudio, cachedAudio, outputAudio));

        var viaRecord = Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", Tokens = counts }.Validate);

        viaRecord.ParamName.ShouldBe(param);
        viaRecord.Message.ShouldBe(expected.Message);
        viaRecord.GetType().ShouldBe(expected.GetType());
    }

    private static long Below(Random random, long bound) => bound <= 0 ? 0 : random.NextInt64(0, bound) + (random.Next(8) == 0 ? 1 : 0);

    private static bool PassesRuleByRule(long[] v)
    {
        try
        {
            TokenCounts.ValidateRuleByRule(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
