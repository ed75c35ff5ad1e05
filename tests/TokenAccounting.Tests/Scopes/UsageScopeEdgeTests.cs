namespace TokenAccounting.Tests.Scopes;

/// <summary>Scopes at the edges (issue 12 §1, §2): sums that saturate instead of wrapping, and values records inherit held to the record rules.</summary>
public sealed class UsageScopeEdgeTests
{
    private static readonly UsageOperation Chat = UsageOperation.Chat;

    [Fact]
    public void Totals_TwoRecordsOverflowingInput_SaturateInsteadOfThrowing()
    {
        using var scope = UsageScope.Begin("overflow");
        var half = new TokenCounts((long.MaxValue / 2) + 1, 1, cachedInput: long.MaxValue / 2);

        UsageScope.AddToChain(scope, Chat, "m", half);
        UsageScope.AddToChain(scope, Chat, "m", half);
        var totals = scope.Totals;

        totals.Tokens.Input.ShouldBe(long.MaxValue);
        totals.Tokens.CachedInput.ShouldBeLessThanOrEqualTo(totals.Tokens.Input);
        totals.Tokens.Output.ShouldBe(2);
        totals.Tokens.Total.ShouldBe(long.MaxValue);
        totals.RequestCount.ShouldBe(2);
    }

    [Fact]
    public void Totals_SaturatedEntriesOfTwoModels_SumWithoutThrowing()
    {
        using var scope = UsageScope.Begin("overflow");
        UsageScope.AddToChain(scope, Chat, "a", new TokenCounts(long.MaxValue - 1, 0));
        UsageScope.AddToChain(scope, Chat, "b", new TokenCounts(long.MaxValue - 1, 0));

        scope.Totals.Tokens.Input.ShouldBe(long.MaxValue);
        scope.Totals.ForOperation(Chat).Input.ShouldBe(long.MaxValue);
    }

    [Fact]
    public void Totals_CostsOverflowingDecimal_SaturateInsteadOfThrowing()
    {
        using var scope = UsageScope.Begin("cost");
        var mask = UsageScope.AddToChain(scope, Chat, "m", new TokenCounts(1, 1));
        var big = new UsageCost(decimal.MaxValue / 2 + 1, 0m, 0m, 0m, 0m);

        UsageScope.AddCostToChain(scope, mask, Chat, "m", big);
        UsageScope.AddCostToChain(scope, mask, Chat, "m", big);
        UsageScope.AddCostToChain(scope, mask, Chat, "m", big);

        scope.Totals.Cost!.Input.ShouldBe(decimal.MaxValue);
        scope.Totals.Cost.Total.ShouldBe(decimal.MaxValue);
    }

    [Fact]
    public async Task Record_ManyNearMaxRecordsInOneScope_TotalsSaturateAndNeverGoNegative()
    {
        await using var recorder = UsageRecorder.Create(new InMemoryUsageSink());
        using var scope = UsageScope.Begin("run");
        for (var i = 0; i < 3; i++)
        {
            recorder.Record(new UsageRecord { Model = "m", Tokens = new TokenCounts(long.MaxValue / 2, long.MaxValue / 2) });
        }

        scope.Totals.Tokens.Input.ShouldBe(long.MaxValue);
        scope.Totals.Tokens.Output.ShouldBe(long.MaxValue);
        scope.Totals.Tokens.Total.ShouldBe(long.MaxValue);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Begin_UserOrTenantBreakingTheRecordRules_ThrowsAndOpensNoScope(int index)
    {
        // By index: a lone surrogate does not survive an attribute.
        var (userId, tenantId) = new (string?, string?)[] { ("user\0", null), ("user\uD800", null), (null, "tenant\0") }[index];
        var ex = Should.Throw<ArgumentException>(() => UsageScope.Begin("s", userId, tenantId));

        ex.ParamName.ShouldBe(userId is null ? "tenantId" : "userId");
        UsageScope.Current.ShouldBeNull();
    }

    [Fact]
    public void Begin_TooLongUserId_Throws() =>
        Should.Throw<ArgumentException>(() => UsageScope.Begin("s", new string('u', UsageRecordLimits.MaxIdLength + 1))).Message.ShouldContain("UsageRecordLimits.MaxIdLength");

    [Fact]
    public void Begin_BadTag_Throws() =>
        Should.Throw<ArgumentException>(() => UsageScope.Begin("s", null, null, new Dictionary<string, string> { ["k"] = "v\0" })).ParamName.ShouldBe("tags");

    [Fact]
    public void Begin_NestedPathOverTheScopePathLimit_ThrowsAndKeepsTheOuterScopeCurrent()
    {
        using var outer = UsageScope.Begin(new string('a', UsageRecordLimits.MaxScopePathLength - 10));

        var ex = Should.Throw<ArgumentException>(() => UsageScope.Begin(new string('b', 10)));

        ex.ParamName.ShouldBe("name");
        ex.Message.ShouldContain("UsageRecordLimits.MaxScopePathLength");
        UsageScope.Current.ShouldBeSameAs(outer);
        using var fits = UsageScope.Begin(new string('c', 9));
        fits.Path.Length.ShouldBe(UsageRecordLimits.MaxScopePathLength);
    }

    [Fact]
    public void Begin_ChainCarryingTooManyTags_Throws()
    {
        using var outer = UsageScope.Begin("outer", null, null, Enumerable.Range(0, 40).ToDictionary(i => "a" + i, _ => "v"));

        Should.Throw<ArgumentException>(() => UsageScope.Begin("inner", null, null, Enumerable.Range(0, 40).ToDictionary(i => "b" + i, _ => "v")))
            .Message.ShouldContain("UsageRecordLimits.MaxTagCount");
    }
}
