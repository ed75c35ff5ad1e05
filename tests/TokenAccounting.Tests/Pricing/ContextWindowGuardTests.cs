namespace TokenAccounting.Tests.Pricing;

public sealed class ContextWindowGuardTests
{
    [Fact]
    public void TryCheck_TrackerNearTheWindow_ReportsRatioAndOverflow()
    {
        var tracker = new UsageTracker(new CapturingRecorder());
        tracker.NoteRequest(12);
        tracker.RecordUsage("gpt-4o", TokenCounts.FromOpenAI(120_000, 800), provider: "openai");

        // gpt-4o has a 128,000-token window: 120,000 / 128,000 = 0.9375; +10,000 → 130,000 > 128,000.
        ContextWindowGuard.TryCheck(PriceCatalog.BuiltIn, "openai", "gpt-4o", tracker, additionalTokens: 10_000, out var check).ShouldBeTrue();

        check.OccupancyRatio.ShouldBe(0.9375);
        check.ProjectedTokens.ShouldBe(130_000);
        check.RemainingTokens.ShouldBe(-2_000);
        check.WouldOverflow.ShouldBeTrue();
    }

    [Fact]
    public void Check_RoomLeft_DoesNotOverflow()
    {
        var check = ContextWindowGuard.Check(maxInputTokens: 200_000, occupiedTokens: 50_000, additionalTokens: 150_000);

        check.OccupancyRatio.ShouldBe(0.25);
        check.ProjectedRatio.ShouldBe(1.0);
        check.WouldOverflow.ShouldBeFalse();
    }

    [Fact]
    public void TryCheck_UnknownModel_ReturnsFalse()
    {
        ContextWindowGuard.TryCheck(PriceCatalog.BuiltIn, "openai", "gpt-imaginary", new UsageTracker(new CapturingRecorder()), 0, out _).ShouldBeFalse();
    }

    [Fact]
    public void Check_NonPositiveWindow_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => ContextWindowGuard.Check(0, 10)).ParamName.ShouldBe("maxInputTokens");
    }
}
