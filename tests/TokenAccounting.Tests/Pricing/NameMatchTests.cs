namespace TokenAccounting.Tests.Pricing;

public sealed class NameMatchTests
{
    [Theory]
    [InlineData("gpt-4o", true)]
    [InlineData("GPT-4O", true)]
    [InlineData("gpt-4o-mini", false)]
    public void IsMatch_EqualTo_ComparesTheWholeNameIgnoringCase(string name, bool expected) =>
        NameMatch.EqualTo("gpt-4o").IsMatch(name).ShouldBe(expected);

    [Fact]
    public void IsMatch_TextRules_IgnoreCase()
    {
        NameMatch.StartsWith("claude-").IsMatch("Claude-Opus-4").ShouldBeTrue();
        NameMatch.EndsWith("-instruct").IsMatch("llama-3-INSTRUCT").ShouldBeTrue();
        NameMatch.Contains("gemini").IsMatch("models/Gemini-2.5-pro").ShouldBeTrue();
        NameMatch.Contains("gemini").IsMatch("gpt-4o").ShouldBeFalse();
    }

    [Fact]
    public void IsMatch_Regex_SearchesUnanchored()
    {
        var rule = NameMatch.Regex("(?:mi|code|dev|magi|mini)stral");

        rule.IsMatch("codestral-2508").ShouldBeTrue();
        rule.IsMatch("open-mistral-nemo").ShouldBeTrue();
        rule.IsMatch("mixtral-8x7b").ShouldBeFalse();
    }

    [Fact]
    public void IsMatch_OrAndAnd_CombineClauses()
    {
        var rule = NameMatch.And(NameMatch.Contains("huggingface"), NameMatch.Or(NameMatch.Contains("novita"), NameMatch.Contains("groq")));

        rule.IsMatch("huggingface-groq").ShouldBeTrue();
        rule.IsMatch("huggingface-together").ShouldBeFalse();
        rule.IsMatch("groq").ShouldBeFalse();
        rule.Kind.ShouldBe(NameMatchKind.And);
        rule.Clauses.Count.ShouldBe(2);
    }

    [Fact]
    public void Regex_InvalidPattern_ThrowsNamingThePattern()
    {
        var ex = Should.Throw<ArgumentException>(() => NameMatch.Regex("(unclosed"));

        ex.Message.ShouldContain("(unclosed");
        ex.ParamName.ShouldBe("pattern");
    }

    [Fact]
    public void Or_NoClauses_Throws()
    {
        Should.Throw<ArgumentException>(() => NameMatch.Or()).ParamName.ShouldBe("clauses");
        Should.Throw<ArgumentException>(() => NameMatch.EqualTo(string.Empty)).ParamName.ShouldBe("name");
    }
}
