namespace TokenAccounting.Tests.Recording;

public sealed class UsageRecordValidationTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void Validate_EmptyOrWhiteSpaceModel_ThrowsArgumentExceptionNamingModel(string model)
    {
        var record = new UsageRecord { Model = model, Tokens = new TokenCounts(1, 1) };

        var ex = Should.Throw<ArgumentException>(record.Validate);

        ex.ParamName.ShouldBe("Model");
        ex.Message.ShouldContain("must not be empty or white space");
    }

    [Fact]
    public void Validate_NullModel_ThrowsArgumentExceptionNamingModel()
    {
        var record = new UsageRecord { Model = null! };

        Should.Throw<ArgumentException>(record.Validate).ParamName.ShouldBe("Model");
    }

    [Fact]
    public void Validate_NegativeHistoryLength_ThrowsArgumentOutOfRangeNamingHistoryLength()
    {
        var record = new UsageRecord { Model = "gpt-4o", HistoryLength = -1 };

        Should.Throw<ArgumentOutOfRangeException>(record.Validate).ParamName.ShouldBe("HistoryLength");
    }

    [Fact]
    public void Validate_UndefinedOutcome_ThrowsArgumentOutOfRangeNamingOutcome()
    {
        var record = new UsageRecord { Model = "gpt-4o", Outcome = (UsageOutcome)42 };

        Should.Throw<ArgumentOutOfRangeException>(record.Validate).ParamName.ShouldBe("Outcome");
    }

    [Fact]
    public void Validate_CompletedBeforeStarted_ThrowsArgumentExceptionNamingCompletedAt()
    {
        var started = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var record = new UsageRecord { Model = "gpt-4o", StartedAt = started, CompletedAt = started.AddSeconds(-1) };

        Should.Throw<ArgumentException>(record.Validate).ParamName.ShouldBe("CompletedAt");
    }

    [Fact]
    public void Validate_ValidRecordWithParsedTokens_DoesNotThrow()
    {
        var record = new UsageRecord { Model = "claude-sonnet-4-5", Tokens = UsageParsers.ParseAnthropic("""{"input_tokens": 3, "output_tokens": 4, "cache_read_input_tokens": 5}""") };

        Should.NotThrow(record.Validate);
        record.Tokens.Input.ShouldBe(8);
    }
}
