namespace TokenAccounting.Tests.Pricing;

/// <summary>Cost sums never throw (issue 12 §2): parts and the total saturate at decimal.MaxValue.</summary>
public sealed class UsageCostSaturationTests
{
    [Fact]
    public void AdditionOperator_PartsOverflowingDecimal_SaturateInsteadOfThrowing()
    {
        var big = new UsageCost(decimal.MaxValue, 1m, decimal.MaxValue, 2m, 3m, decimal.MaxValue);

        var sum = big + big;

        sum.Input.ShouldBe(decimal.MaxValue);
        sum.CachedInput.ShouldBe(2m);
        sum.CacheWrite.ShouldBe(decimal.MaxValue);
        sum.CacheWriteLongTtl.ShouldBe(decimal.MaxValue);
        sum.Output.ShouldBe(4m);
        UsageCost.Add(big, big).ShouldBe(sum);
    }

    [Fact]
    public void Total_PartsAddingUpPastDecimalMax_SaturatesInsteadOfThrowing()
    {
        var cost = new UsageCost(decimal.MaxValue, 0m, 0m, decimal.MaxValue, 0m);

        cost.Total.ShouldBe(decimal.MaxValue);
        cost.ToString().ShouldContain(decimal.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AdditionOperator_OrdinaryCosts_StayExact()
    {
        var sum = new UsageCost(0.1m, 0.2m, 0.3m, 0.4m, 0.5m, 0.1m) + new UsageCost(1m, 2m, 3m, 4m, 5m, 1m);

        sum.ShouldBe(new UsageCost(1.1m, 2.2m, 3.3m, 4.4m, 5.5m, 1.1m));
        sum.Total.ShouldBe(16.5m);
    }
}
