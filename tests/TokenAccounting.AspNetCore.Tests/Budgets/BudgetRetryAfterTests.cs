using Microsoft.Extensions.Time.Testing;

namespace TokenAccounting.AspNetCore.Tests.Budgets;

public sealed class BudgetRetryAfterTests
{
    private static BudgetExceededException Denied(BudgetWindow window) =>
        new(new BudgetPolicy { Name = "p", Limit = 10, Window = window }, "alice", 10, 10, 1);

    [Theory]
    [InlineData("2026-12-01T10:00:00Z", 14 * 3600)]
    [InlineData("2026-12-31T23:59:59Z", 1)]
    [InlineData("2026-12-01T00:00:00Z", 24 * 3600)]
    public void Compute_UtcDay_IsTheTimeToTheNextUtcMidnight(string now, int seconds)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));

        BudgetRetryAfter.Compute(Denied(BudgetWindow.UtcDay), time).ShouldBe(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("2026-12-31T12:00:00Z", 12 * 3600)]
    [InlineData("2027-02-01T00:00:00Z", 28 * 24 * 3600)]
    [InlineData("2028-02-15T00:00:00Z", 15 * 24 * 3600)]
    public void Compute_UtcMonth_IsTheTimeToTheNextMonthsFirstDay(string now, int seconds)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));

        BudgetRetryAfter.Compute(Denied(BudgetWindow.UtcMonth), time).ShouldBe(TimeSpan.FromSeconds(seconds));
    }

    [Fact]
    public void Compute_UtcDayFromAnotherOffset_UsesUtc()
    {
        // 01:00 at +02:00 is 23:00 UTC the day before: one hour to UTC midnight.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.FromHours(2)));

        BudgetRetryAfter.Compute(Denied(BudgetWindow.UtcDay), time).ShouldBe(TimeSpan.FromHours(1));
    }

    [Fact]
    public void Compute_Rolling_IsTheWindowsDuration()
    {
        BudgetRetryAfter.Compute(Denied(BudgetWindow.Rolling(TimeSpan.FromMinutes(90))), new FakeTimeProvider()).ShouldBe(TimeSpan.FromMinutes(90));
    }

    [Fact]
    public void Compute_Lifetime_IsNull()
    {
        BudgetRetryAfter.Compute(Denied(BudgetWindow.Lifetime), new FakeTimeProvider()).ShouldBeNull();
    }

    [Theory]
    [InlineData(0.2, "1")]
    [InlineData(59.001, "60")]
    [InlineData(0, "1")]
    [InlineData(3600, "3600")]
    public void ToHeaderValue_RoundsUpToWholeSecondsAtLeastOne(double seconds, string expected)
    {
        BudgetRetryAfter.ToHeaderValue(TimeSpan.FromSeconds(seconds)).ShouldBe(expected);
    }
}
