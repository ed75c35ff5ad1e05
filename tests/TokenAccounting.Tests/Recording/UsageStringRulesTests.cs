namespace TokenAccounting.Tests.Recording;

/// <summary>
/// The fast path of the string rules (a branch-free scan for short strings, overlapping 128-bit compares for longer
/// ones) must agree with the plain definition: the first NUL or unpaired surrogate, at every length and position.
/// </summary>
public sealed class UsageStringRulesTests
{
    private static readonly char[] Bad = ['\0', '\uD800', '\uDBFF', '\uDC00', '\uDFFF'];

    [Fact]
    public void IndexOfInvalid_BadCharacterAtEveryPositionOfEveryLength_IsFoundThere()
    {
        for (var length = 1; length <= 72; length++)
        {
            for (var at = 0; at < length; at++)
            {
                foreach (var bad in Bad)
                {
                    var text = new string('a', length).ToCharArray();
                    text[at] = bad;

                    // A lone high surrogate followed by 'a' is unpaired, as is a lone low one: both are invalid.
                    UsageStringRules.IndexOfInvalid(text).ShouldBe(at, $"length {length}, U+{(int)bad:X4} at {at}");
                    UsageStringRules.IsPlain(text).ShouldBeFalse();
                }
            }
        }
    }

    [Theory]
    [InlineData('\uD7FF')]
    [InlineData('\uE000')]
    [InlineData('\uFFFF')]
    [InlineData('\u0001')]
    public void IndexOfInvalid_EdgeCharactersThatAreValid_AreAcceptedAtEveryPosition(char edge)
    {
        for (var length = 1; length <= 40; length++)
        {
            for (var at = 0; at < length; at++)
            {
                var text = new string('x', length).ToCharArray();
                text[at] = edge;
                UsageStringRules.IndexOfInvalid(text).ShouldBe(-1, $"length {length}, U+{(int)edge:X4} at {at}");
            }
        }
    }

    [Fact]
    public void IndexOfInvalid_RandomText_AgreesWithTheDefinition()
    {
        var random = new Random(12);
        char[] alphabet = ['a', 'Z', '0', '\u00E9', '\u4E2D', '\uD7FF', '\uE000', '\uFFFD', '\0', '\uD83D', '\uDE00'];
        for (var n = 0; n < 50_000; n++)
        {
            var text = new char[random.Next(0, 48)];
            for (var i = 0; i < text.Length; i++)
            {
                // Mostly ASCII, as real fields are, so the fast path and the slow path both get exercised.
                text[i] = random.Next(4) == 0 ? alphabet[random.Next(alphabet.Length)] : (char)random.Next(0x20, 0x7F);
            }

            UsageStringRules.IndexOfInvalid(text).ShouldBe(Reference(text), new string(text).Replace("\0", "\\0", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void IndexOfInvalid_ValidSurrogatePairs_AreAccepted()
    {
        UsageStringRules.IndexOfInvalid("model-\uD83D\uDE00-name-longer-than-eight").ShouldBe(-1);
        UsageStringRules.IndexOfInvalid("\uD83D\uDE00").ShouldBe(-1);
        UsageStringRules.IndexOfInvalid("abcdefg\uD83D\uDE00").ShouldBe(-1);
        UsageStringRules.IndexOfInvalid("abcdefgh\uD83D").ShouldBe(8);
    }

    [Fact]
    public void Validate_EveryDefinedOutcomeAndProvenance_Passes()
    {
        // Validate checks both enums by range: a value added to either must keep them contiguous from zero.
        foreach (var outcome in Enum.GetValues<UsageOutcome>())
        {
            Should.NotThrow(() => new UsageRecord { Model = "m", Outcome = outcome }.Validate());
        }

        foreach (var provenance in Enum.GetValues<UsageProvenance>())
        {
            Should.NotThrow(() => new UsageRecord { Model = "m", Provenance = provenance }.Validate());
        }

        Should.Throw<ArgumentOutOfRangeException>(() => new UsageRecord { Model = "m", Provenance = (UsageProvenance)2 }.Validate()).ParamName.ShouldBe("Provenance");
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageRecord { Model = "m", Outcome = (UsageOutcome)(-1) }.Validate()).ParamName.ShouldBe("Outcome");
    }

    [Fact]
    public void Validate_CostPartsOfEveryMagnitude_OverflowOnlyWhenTheTotalDoesNotFit()
    {
        // The check skips the checked sum when no part has a mantissa of 2^64 or more; around that edge it must still be exact.
        var big = decimal.MaxValue / 4;
        Should.NotThrow(() => new UsageRecord { Model = "m", Cost = new UsageCost(big, 0, 0, big, big) }.Validate());
        Should.Throw<ArgumentException>(() => new UsageRecord { Model = "m", Cost = new UsageCost(big, big, big, big, big) }.Validate()).ParamName.ShouldBe("Cost");
        Should.Throw<ArgumentException>(() => new UsageRecord { Model = "m", Cost = new UsageCost(decimal.MaxValue, 0, 0, 1m, 0) }.Validate()).ParamName.ShouldBe("Cost");
        Should.NotThrow(() => new UsageRecord { Model = "m", Cost = new UsageCost(18446744073709551615m, 18446744073709551615m, 0, 0, 0) }.Validate());
        Should.NotThrow(() => new UsageRecord { Model = "m", Cost = new UsageCost(0.0000000000000000000000000001m, 1m / 3m, 0, 0, 0) }.Validate());
    }

    private static int Reference(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return i;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return i;
                }

                i++;
            }
        }

        return -1;
    }
}
