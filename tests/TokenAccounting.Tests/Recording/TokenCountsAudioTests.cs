namespace TokenAccounting.Tests.Recording;

/// <summary>Issue 15 §4: the audio parts' invariants, saturating sums and the record's server tool calls.</summary>
public sealed class TokenCountsAudioTests
{
    [Theory]
    [InlineData(100, 10, 20, 0, 0, 0, nameof(TokenCounts.CachedInputAudio))] // cached audio above all audio
    [InlineData(100, 10, 30, 0, 0, 20, nameof(TokenCounts.CachedInputAudio))] // cached audio above cached input
    [InlineData(100, 10, 10, 0, 0, 95, nameof(TokenCounts.InputAudio))]       // uncached audio above the uncached input
    [InlineData(100, 10, 0, 0, 6, 0, nameof(TokenCounts.OutputAudio))]        // audio + reasoning above the output
    [InlineData(100, 10, 0, 0, -1, 0, nameof(TokenCounts.OutputAudio))]
    public void Constructor_AudioBreakingAnInvariant_ThrowsArgumentExceptionNamingTheField(long input, long output, long cached, long cachedAudio, long outputAudio, long inputAudio, string field)
    {
        // Reasoning 5 of the 10 output tokens.
        var ex = Should.Throw<ArgumentException>(() => new TokenCounts(input, output, cached, 0, 0, 5, inputAudio, cachedAudio == 0 && field == nameof(TokenCounts.CachedInputAudio) ? inputAudio + 10 : cachedAudio, outputAudio));

        ex.ParamName.ShouldBe(field);
    }

    [Fact]
    public void Constructor_ValidAudioParts_KeepsThem()
    {
        var counts = new TokenCounts(100, 10, 30, 0, 0, 5, inputAudio: 80, cachedInputAudio: 20, outputAudio: 5);

        (counts.InputAudio, counts.CachedInputAudio, counts.OutputAudio).ShouldBe((80L, 20L, 5L));
        counts.ToString().ShouldEndWith("audio in=80 (cached 20) out=5");
    }

    [Fact]
    public void Add_AudioParts_AddsThemAndSaturatesWithinTheirContainers()
    {
        var a = new TokenCounts(100, 10, 0, 0, 0, 0, inputAudio: 60, cachedInputAudio: 0, outputAudio: 4);
        (a + a).ShouldBe(new TokenCounts(200, 20, 0, 0, 0, 0, inputAudio: 120, cachedInputAudio: 0, outputAudio: 8));

        var huge = new TokenCounts(long.MaxValue - 10, 10, 0, 0, 0, 0, inputAudio: long.MaxValue - 10, cachedInputAudio: 0, outputAudio: 10);
        var sum = huge + huge;

        sum.InputAudio.ShouldBeLessThanOrEqualTo(sum.Input);
        sum.OutputAudio.ShouldBeLessThanOrEqualTo(sum.Output);
        Should.NotThrow(() => new TokenCounts(sum.Input, 0, sum.CachedInput, sum.CacheWriteInput, 0, 0, sum.InputAudio, sum.CachedInputAudio, 0));
    }

    [Fact]
    public void WithAudio_BreakingAnInvariant_Throws()
    {
        Should.Throw<ArgumentException>(() => new TokenCounts(10, 10).WithAudio(11)).ParamName.ShouldBe(nameof(TokenCounts.InputAudio));
    }

    [Fact]
    public void Validate_ServerToolCalls_AppliesTheLimits()
    {
        var valid = new UsageRecord { Model = "m", ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 3 } };
        Should.NotThrow(valid.Validate);

        Should.Throw<ArgumentException>(() => (valid with { ServerToolCalls = new Dictionary<string, long> { ["web_search"] = -1 } }).Validate()).ParamName.ShouldBe(nameof(UsageRecord.ServerToolCalls));
        Should.Throw<ArgumentException>(() => (valid with { ServerToolCalls = new Dictionary<string, long> { [" "] = 1 } }).Validate()).ParamName.ShouldBe(nameof(UsageRecord.ServerToolCalls));
        Should.Throw<ArgumentException>(() => (valid with { ServerToolCalls = new Dictionary<string, long> { ["a\0b"] = 1 } }).Validate()).ParamName.ShouldBe(nameof(UsageRecord.ServerToolCalls));
        Should.Throw<ArgumentException>(() => (valid with { ServerToolCalls = new Dictionary<string, long> { [new string('x', UsageRecordLimits.MaxServerToolNameLength + 1)] = 1 } }).Validate());
        var many = Enumerable.Range(0, UsageRecordLimits.MaxServerToolCount + 1).ToDictionary(i => "tool" + i, _ => 1L);
        Should.Throw<ArgumentException>(() => (valid with { ServerToolCalls = many }).Validate()).Message.ShouldContain("MaxServerToolCount");
    }

    [Fact]
    public void Validate_RecordWhoseInputIsAllAudio_Passes()
    {
        // The boundary of the uncached-audio rule: every input token is uncached audio.
        var record = new UsageRecord { Model = "m", Tokens = new TokenCounts(10, 10, 0, 0, 0, 0, inputAudio: 10) };

        Should.NotThrow(record.Validate);
    }
}
