namespace TokenAccounting.Tests.Recording;

/// <summary>
/// Validate()'s cheap tests (a remembered string instance, a one-branch test of the token invariants, a cost that cannot
/// overflow, the inline key and value tests) must never pass a record that the rule-by-rule checks would reject.
/// </summary>
public sealed class UsageRecordValidationFastPathTests
{
    // Every field whose last valid instance is remembered, with a setter.
    public static TheoryData<string> RepeatedFields => new()
    {
        "Model", "ResponseModel", "Provider", "Operation", "UserId", "TenantId", "ApiKeyId", "Route", "ServiceTier", "ScopePath", "DegradedReason",
    };

    [Theory]
    [MemberData(nameof(RepeatedFields))]
    public void Validate_RememberedFieldThenAnotherInstanceWithTheSameContent_IsAccepted(string field)
    {
        var value = string.Concat("value-", field);
        With(field, value).Validate();

        // Equal text in a different instance is just as valid: it is scanned, not trusted, and passes.
        var sameContent = new string(value.AsSpan());
        ReferenceEquals(sameContent, value).ShouldBeFalse();
        Should.NotThrow(With(field, sameContent).Validate);
    }

    [Theory]
    [MemberData(nameof(RepeatedFields))]
    public void Validate_RememberedFieldThenABadInstanceWithTheSamePrefix_ThrowsNamingTheField(string field)
    {
        var value = string.Concat("value-", field);
        With(field, value).Validate();
        var limit = field switch
        {
            "ScopePath" => UsageRecordLimits.MaxScopePathLength,
            _ => 256,
        };

        string[] bad =
        [
            string.Concat(value, "\0"),
            string.Concat(value, "\uD800"),
            string.Concat(value, "\uDC00", "tail"),
            string.Concat("\uDBFF", value),
            string.Concat(value, new string('x', limit)),
        ];

        foreach (var text in bad)
        {
            Should.Throw<ArgumentException>(With(field, text).Validate).ParamName.ShouldBe(field);
        }

        // The remembered instance was not replaced by a rejected one, and still passes; a rejected one still fails.
        Should.NotThrow(With(field, value).Validate);
        Should.Throw<ArgumentException>(With(field, bad[1]).Validate).ParamName.ShouldBe(field);
    }

    [Fact]
    public void Validate_WhiteSpaceModel_IsNeverRemembered()
    {
        var blank = new string(' ', 3);
        Should.Throw<ArgumentException>(new UsageRecord { Model = blank }.Validate).ParamName.ShouldBe("Model");
        Should.Throw<ArgumentException>(new UsageRecord { Model = blank }.Validate).ParamName.ShouldBe("Model");
    }

    [Theory]
    [InlineData("emoji \uD83D\uDE00 pair")]
    [InlineData("\uE000\uFFFD")]
    [InlineData("plain")]
    public void Validate_TagsAndStagesNeedingTheSlowScanButValid_AreAccepted(string text)
    {
        var record = new UsageRecord
        {
            Model = "gpt-4o",
            Tags = new Dictionary<string, string> { [text] = text },
            StageDurations = new Dictionary<string, TimeSpan> { [text] = TimeSpan.FromMilliseconds(1) },
            ServerToolCalls = new Dictionary<string, long> { [text] = 1 },
        };

        Should.NotThrow(record.Validate);
    }

    [Theory]
    [InlineData(0, "an unpaired surrogate (U+D83D)")]
    [InlineData(1, "an unpaired surrogate (U+DE00)")]
    [InlineData(2, "NUL (U+0000)")]
    public void Validate_BadTagValueOrStageName_ThrowsTheSameMessageAsBefore(int shape, string described)
    {
        // Built here, not in the attribute: lone surrogates do not survive the test framework's argument serialization.
        var text = shape switch
        {
            0 => string.Concat("emoji ", new string('\uD83D', 1), " pair"),
            1 => new string('\uDE00', 1),
            _ => string.Concat("a", "\0"),
        };

        var tag = Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", Tags = new Dictionary<string, string> { ["k"] = text } }.Validate);
        tag.ParamName.ShouldBe("Tags");
        tag.Message.ShouldStartWith($"UsageRecord.Tags[\"k\"] contains {described} at index ");

        var key = Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", Tags = new Dictionary<string, string> { [text] = "v" } }.Validate);
        key.Message.ShouldStartWith($"UsageRecord.Tags has a tag key that contains {described} at index ");

        var stage = Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", StageDurations = new Dictionary<string, TimeSpan> { [text] = TimeSpan.Zero } }.Validate);
        stage.ParamName.ShouldBe("StageDurations");
        stage.Message.ShouldStartWith($"UsageRecord.StageDurations has a stage name that contains {described} at index ");
    }

    [Fact]
    public void Validate_LargestPackedCost_NeverOverflowsAndIsAccepted()
    {
        // The largest amount a packed part holds (59-bit mantissa, scale 0) in all five parts: the check is skipped for
        // it, so the sum must fit, as the checked sum shows.
        var largest = (decimal)PackedAmount.MaxMantissa;
        var cost = new UsageCost(largest, largest, largest, largest, largest);
        cost.IsPackedTextOnly.ShouldBeTrue();
        Should.NotThrow(() => checked(cost.Input + cost.CachedInput + cost.CacheWrite + cost.Output + cost.Reasoning));
        Should.NotThrow(new UsageRecord { Model = "gpt-4o", Cost = cost }.Validate);
    }

    [Fact]
    public void Validate_UnpackedCostWhoseTotalOverflows_StillThrows()
    {
        var huge = decimal.MaxValue / 2;
        var cost = new UsageCost(huge, huge, huge, 0m, 0m);
        cost.IsPackedTextOnly.ShouldBeFalse();

        Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", Cost = cost }.Validate).ParamName.ShouldBe("Cost");
    }

    private static UsageRecord With(string field, string value)
    {
        var record = new UsageRecord { Model = "gpt-4o" };
        return field switch
        {
            "Model" => record with { Model = value },
            "ResponseModel" => record with { ResponseModel = value },
            "Provider" => record with { Provider = value },
            "Operation" => record with { Operation = new UsageOperation(value) },
            "UserId" => record with { UserId = value },
            "TenantId" => record with { TenantId = value },
            "ApiKeyId" => record with { ApiKeyId = value },
            "Route" => record with { Route = value },
            "ServiceTier" => record with { ServiceTier = value },
            "ScopePath" => record with { ScopePath = value },
            "DegradedReason" => record with { DegradedReason = value },
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, "unknown field"),
        };
    }
}
