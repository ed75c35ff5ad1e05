namespace TokenAccounting.PostgreSql.Tests.Budgets;

public sealed class BudgetKeysTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 15, 12, 34, 56, TimeSpan.FromHours(2));

    [Theory]
    [InlineData("day", "day:2026-01-15")]
    [InlineData("month", "month:2026-01")]
    [InlineData("lifetime", "lifetime")]
    public void FixedWindowKey_FixedWindow_IsTheUtcWindowName(string window, string expected)
    {
        var budgetWindow = window switch
        {
            "day" => BudgetWindow.UtcDay,
            "month" => BudgetWindow.UtcMonth,
            _ => BudgetWindow.Lifetime,
        };

        BudgetKeys.FixedWindowKey(budgetWindow, At).ShouldBe(expected);
    }

    [Fact]
    public void FixedWindowKey_MomentJustAfterUtcMidnightInAnotherOffset_UsesTheUtcDate()
    {
        var at = new DateTimeOffset(2026, 2, 1, 0, 30, 0, TimeSpan.FromHours(1)); // 2026-01-31T23:30Z

        BudgetKeys.FixedWindowKey(BudgetWindow.UtcDay, at).ShouldBe("day:2026-01-31");
        BudgetKeys.FixedWindowKey(BudgetWindow.UtcMonth, at).ShouldBe("month:2026-01");
    }

    [Fact]
    public void Rolling_OneHourWindow_UsesMinuteBucketsFromSixtyMinutesBefore()
    {
        var keys = BudgetKeys.Rolling(BudgetWindow.Rolling(TimeSpan.FromHours(1)), At);

        keys.Prefix.ShouldBe("rolling:36000000000:");
        keys.Current.ShouldBe("rolling:36000000000:2026-01-15T10:34:00.0000000");
        keys.Oldest.ShouldBe("rolling:36000000000:2026-01-15T09:34:00.0000000");
        string.CompareOrdinal(keys.Current, keys.Last).ShouldBeLessThan(0);
    }

    [Fact]
    public void Rolling_FixedWindow_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => BudgetKeys.Rolling(BudgetWindow.UtcDay, At));
    }

    [Fact]
    public void BudgetKey_NamesContainingTheSeparator_DoNotCollide()
    {
        var first = BudgetKeys.BudgetKey(new BudgetCounter("a:1", "b", BudgetWindow.UtcDay, At));
        var second = BudgetKeys.BudgetKey(new BudgetCounter("a", "1:b", BudgetWindow.UtcDay, At));

        first.ShouldBe("policy:3:a:1:b");
        second.ShouldBe("policy:1:a:1:b");
    }
}
