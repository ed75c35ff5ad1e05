namespace TokenAccounting.Tests.Recording;

/// <summary>The input rules of <see cref="UsageRecord.Validate"/> (issue 12 §1): what Record() rejects, naming the field and the rule.</summary>
public sealed class UsageRecordLimitsTests
{
    private static readonly UsageRecord Valid = new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(10, 5) };

    // Every string field of a record, set to a value.
    public static TheoryData<string> StringFields => new()
    {
        "Id", "Model", "ResponseModel", "Provider", "Operation", "DegradedReason", "CorrelationId", "UserId", "TenantId",
        "ApiKeyId", "Route", "ServiceTier", "ScopePath", "Text",
    };

    public static TheoryData<string, int> LimitedFields => new()
    {
        { "Id", UsageRecordLimits.MaxIdLength },
        { "Model", UsageRecordLimits.MaxModelLength },
        { "ResponseModel", UsageRecordLimits.MaxModelLength },
        { "Provider", UsageRecordLimits.MaxProviderLength },
        { "Operation", UsageRecordLimits.MaxOperationLength },
        { "DegradedReason", UsageRecordLimits.MaxDegradedReasonLength },
        { "CorrelationId", UsageRecordLimits.MaxIdLength },
        { "UserId", UsageRecordLimits.MaxIdLength },
        { "TenantId", UsageRecordLimits.MaxIdLength },
        { "ApiKeyId", UsageRecordLimits.MaxIdLength },
        { "Route", UsageRecordLimits.MaxRouteLength },
        { "ServiceTier", UsageRecordLimits.MaxServiceTierLength },
        { "ScopePath", UsageRecordLimits.MaxScopePathLength },
    };

    // By name: a lone surrogate does not survive an attribute or xunit's test-case serialization.
    private static readonly Dictionary<string, string> BadTexts = new()
    {
        ["nul"] = "ab\0cd",
        ["lone-high-surrogate"] = "ab\uD83Dcd",
        ["high-surrogate-at-end"] = "abcd\uD83D",
        ["lone-low-surrogate"] = "ab\uDE00cd",
        ["reversed-pair"] = "ab\uDE00\uD83Dcd",
        ["nul-after-valid-pair"] = "\uD83D\uDE00\u00e9\uE000\0",
        ["surrogate-after-long-ascii"] = new string('a', 300) + "\uDBFF",
    };

    public static TheoryData<string> BadText => [.. BadTexts.Keys];

    [Theory]
    [MemberData(nameof(StringFields))]
    public void Validate_NulInAnyStringField_ThrowsNamingTheField(string field)
    {
        var ex = Should.Throw<ArgumentException>(() => With(field, "gpt\0-4o").Validate());

        ex.ParamName.ShouldBe(field);
        ex.Message.ShouldContain("NUL (U+0000) at index 3");
    }

    [Theory]
    [MemberData(nameof(StringFields))]
    public void Validate_UnpairedSurrogateInAnyStringField_ThrowsNamingTheField(string field)
    {
        var ex = Should.Throw<ArgumentException>(() => With(field, "gpt-\uD800").Validate());

        ex.ParamName.ShouldBe(field);
        ex.Message.ShouldContain("unpaired surrogate (U+D800) at index 4");
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public void Validate_BadTextShapes_AreAllRejected(string name) =>
        Should.Throw<ArgumentException>(() => With("Text", BadTexts[name]).Validate()).ParamName.ShouldBe("Text");

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("模型-\u00e9-\uE000-\uFFFD")]
    [InlineData("emoji \uD83D\uDE00 pair")]
    [InlineData("\uD83D\uDE00")]
    public void Validate_ValidUnicode_DoesNotThrow(string text) => Should.NotThrow(() => With("UserId", text).Validate());

    [Theory]
    [MemberData(nameof(LimitedFields))]
    public void Validate_FieldAtItsLimit_DoesNotThrow(string field, int limit) =>
        Should.NotThrow(() => With(field, new string('x', limit)).Validate());

    [Theory]
    [MemberData(nameof(LimitedFields))]
    public void Validate_FieldOverItsLimit_ThrowsNamingTheFieldAndTheLimit(string field, int limit)
    {
        var ex = Should.Throw<ArgumentException>(() => With(field, new string('x', limit + 1)).Validate());

        ex.ParamName.ShouldBe(field);
        ex.Message.ShouldContain($"is {limit + 1} characters long; at most {limit} are allowed (UsageRecordLimits.");
    }

    [Fact]
    public void Validate_ThreeThousandCharacterModel_Throws() =>
        Should.Throw<ArgumentException>(() => (Valid with { Model = new string('m', 3000) }).Validate()).ParamName.ShouldBe("Model");

    [Fact]
    public void Validate_LongText_DoesNotThrow() =>
        Should.NotThrow(() => (Valid with { Text = new string('t', 1_000_000) }).Validate());

    [Theory]
    [InlineData(0, "a tag key that contains NUL")]
    [InlineData(1, "a tag key that contains an unpaired surrogate")]
    [InlineData(2, "Tags[\"k\"] contains NUL")]
    [InlineData(3, "Tags[\"k\"] contains an unpaired surrogate")]
    public void Validate_BadTagKeyOrValue_ThrowsNamingTags(int index, string expected)
    {
        var (key, value) = new[] { ("k\0", "v"), ("k\uDC00", "v"), ("k", "v\0"), ("k", "\uD800v") }[index];
        var ex = Should.Throw<ArgumentException>(() => (Valid with { Tags = new Dictionary<string, string> { [key] = value } }).Validate());

        ex.ParamName.ShouldBe("Tags");
        ex.Message.ShouldContain(expected);
    }

    [Fact]
    public void Validate_TagsThroughAnotherDictionaryType_AreCheckedToo()
    {
        var tags = new SortedDictionary<string, string> { ["a"] = "ok", ["b"] = "bad\0" };

        Should.Throw<ArgumentException>(() => (Valid with { Tags = tags }).Validate()).ParamName.ShouldBe("Tags");
    }

    [Fact]
    public void Validate_NullTagValue_Throws() =>
        Should.Throw<ArgumentException>(() => (Valid with { Tags = new Dictionary<string, string> { ["k"] = null! } }).Validate()).ParamName.ShouldBe("Tags");

    [Fact]
    public void Validate_TagCount_IsLimited()
    {
        Should.NotThrow(() => (Valid with { Tags = Tags(UsageRecordLimits.MaxTagCount) }).Validate());

        var ex = Should.Throw<ArgumentException>(() => (Valid with { Tags = Tags(UsageRecordLimits.MaxTagCount + 1) }).Validate());
        ex.ParamName.ShouldBe("Tags");
        ex.Message.ShouldContain("UsageRecordLimits.MaxTagCount");
    }

    [Fact]
    public void Validate_TagKeyAndValueLengths_AreLimited()
    {
        Should.NotThrow(() => (Valid with { Tags = new Dictionary<string, string> { [new string('k', UsageRecordLimits.MaxTagKeyLength)] = new string('v', UsageRecordLimits.MaxTagValueLength) } }).Validate());

        Should.Throw<ArgumentException>(() => (Valid with { Tags = new Dictionary<string, string> { [new string('k', UsageRecordLimits.MaxTagKeyLength + 1)] = "v" } }).Validate())
            .Message.ShouldContain("UsageRecordLimits.MaxTagKeyLength");
        Should.Throw<ArgumentException>(() => (Valid with { Tags = new Dictionary<string, string> { ["k"] = new string('v', UsageRecordLimits.MaxTagValueLength + 1) } }).Validate())
            .Message.ShouldContain("UsageRecordLimits.MaxTagValueLength");
    }

    [Fact]
    public void Validate_StageDurations_KeysAreCheckedAndDurationsMustNotBeNegative()
    {
        Should.Throw<ArgumentException>(() => (Valid with { StageDurations = new Dictionary<string, TimeSpan> { ["tt\0ft"] = TimeSpan.FromSeconds(1) } }).Validate())
            .ParamName.ShouldBe("StageDurations");
        var negative = Should.Throw<ArgumentOutOfRangeException>(() => (Valid with { StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromTicks(-1) } }).Validate());
        negative.ParamName.ShouldBe("StageDurations");
        negative.Message.ShouldContain("StageDurations[\"ttft\"] must not be negative");
        var many = Enumerable.Range(0, UsageRecordLimits.MaxStageDurationCount + 1).ToDictionary(i => "s" + i, _ => TimeSpan.Zero);
        Should.Throw<ArgumentException>(() => (Valid with { StageDurations = many }).Validate()).Message.ShouldContain("UsageRecordLimits.MaxStageDurationCount");
        Should.NotThrow(() => (Valid with { StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.MaxValue }, Latency = TimeSpan.MaxValue }).Validate());
    }

    [Fact]
    public void Validate_SaturatedTokenSum_ThrowsNamingTotal()
    {
        var saturated = new TokenCounts(long.MaxValue, 0) + new TokenCounts(0, long.MaxValue);

        var ex = Should.Throw<ArgumentOutOfRangeException>(() => (Valid with { Tokens = saturated }).Validate());

        ex.ParamName.ShouldBe("Total");
        ex.Message.ShouldContain("Total would overflow");
    }

    [Fact]
    public void Validate_CostWhoseTotalOverflowsDecimal_ThrowsNamingCost()
    {
        var cost = new UsageCost(decimal.MaxValue, 0m, 0m, decimal.MaxValue, 0m);

        var ex = Should.Throw<ArgumentException>(() => (Valid with { Cost = cost }).Validate());

        ex.ParamName.ShouldBe("Cost");
        ex.Message.ShouldContain("Cost.Total must fit in a decimal");
    }

    [Fact]
    public void Validate_CostAtDecimalMax_DoesNotThrow() =>
        Should.NotThrow(() => (Valid with { Cost = new UsageCost(decimal.MaxValue - 1m, 0m, 0m, 1m, 0m) }).Validate());

    [Fact]
    public void Validate_ValidRecordWithTagsAndStages_AllocatesNothing()
    {
        var record = Valid with
        {
            UserId = "alice@example.com",
            TenantId = "tenant-\u00e9\uD83D\uDE00",
            Tags = new Dictionary<string, string> { ["feature"] = "search", ["région"] = "eu-west" },
            StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromMilliseconds(5) },
            Cost = new UsageCost(1m, 0m, 0m, 2m, 0m),
        };
        // Unoptimized first-tier code may allocate; the optimized code the JIT tiers up to must not. Tier-up takes a
        // few hundred milliseconds on an idle machine but waits for the background compiler under load (10 s was not
        // enough beside several parallel builds), so measure until it has (bounded generously), then require zero.
        long allocated = -1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (allocated != 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                record.Validate();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        allocated.ShouldBe(0);
    }

    [Fact]
    public async Task Record_BadRecord_ThrowsAndRecordsNothing()
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(sink);

        Should.Throw<ArgumentException>(() => recorder.Record(Valid with { UserId = "u\0" })).ParamName.ShouldBe("UserId");
        Should.Throw<ArgumentException>(() => recorder.Record(Valid with { Tags = Tags(65) })).ParamName.ShouldBe("Tags");
        Should.Throw<ArgumentException>(() => recorder.Record(Valid with { Model = new string('m', 3000) })).ParamName.ShouldBe("Model");
        await recorder.FlushAsync();

        recorder.GetDiagnostics().RecordsAccepted.ShouldBe(0);
        sink.Records.ShouldBeEmpty();
        sink.Rollups.ShouldBeEmpty();
    }

    private static Dictionary<string, string> Tags(int count) => Enumerable.Range(0, count).ToDictionary(i => "k" + i, i => "v" + i);

    private static UsageRecord With(string field, string value) => field switch
    {
        "Id" => Valid with { Id = value },
        "Model" => Valid with { Model = value },
        "ResponseModel" => Valid with { ResponseModel = value },
        "Provider" => Valid with { Provider = value },
        "Operation" => Valid with { Operation = new UsageOperation(value) },
        "DegradedReason" => Valid with { DegradedReason = value },
        "CorrelationId" => Valid with { CorrelationId = value },
        "UserId" => Valid with { UserId = value },
        "TenantId" => Valid with { TenantId = value },
        "ApiKeyId" => Valid with { ApiKeyId = value },
        "Route" => Valid with { Route = value },
        "ServiceTier" => Valid with { ServiceTier = value },
        "ScopePath" => Valid with { ScopePath = value },
        "Text" => Valid with { Text = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "unknown field"),
    };
}
