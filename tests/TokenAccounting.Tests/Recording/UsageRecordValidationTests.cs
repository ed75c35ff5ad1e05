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
    public void Validate_InvalidValueAfterAValidOneOfTheSameField_StillThrows()
    {
        // Validate remembers the last valid instance per repeating field; that must never let another instance through.
        new UsageRecord { Model = "gpt-4o", Provider = "openai", UserId = "alice", Route = "/chat" }.Validate();
        var nul = string.Concat("gpt-4o", "\0");
        var lone = string.Concat("alice", new string('\uD800', 1));
        var tooLong = new string('r', UsageRecordLimits.MaxRouteLength + 1);

        Should.Throw<ArgumentException>(new UsageRecord { Model = nul }.Validate).ParamName.ShouldBe("Model");
        Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", Provider = string.Concat("open", "\0ai") }.Validate).ParamName.ShouldBe("Provider");
        Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", UserId = lone }.Validate).ParamName.ShouldBe("UserId");
        Should.Throw<ArgumentException>(new UsageRecord { Model = "gpt-4o", Route = tooLong }.Validate).ParamName.ShouldBe("Route");
        Should.Throw<ArgumentException>(new UsageRecord { Model = null! }.Validate).ParamName.ShouldBe("Model");
        Should.Throw<ArgumentException>(new UsageRecord { Model = "  " }.Validate).ParamName.ShouldBe("Model");

        // And the remembered instances still pass.
        Should.NotThrow(new UsageRecord { Model = "gpt-4o", Provider = "openai", UserId = "alice", Route = "/chat" }.Validate);
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
