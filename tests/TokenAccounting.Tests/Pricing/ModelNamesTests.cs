namespace TokenAccounting.Tests.Pricing;

public sealed class ModelNamesTests
{
    [Theory]
    [InlineData("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514")]
    [InlineData("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet-20250219")]
    [InlineData("apac.amazon.nova-pro-v1:0", "nova-pro")]
    [InlineData("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929")]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0:200k", "claude-3-haiku-20240307")]
    [InlineData("meta.llama3-1-70b-instruct-v1:0", "llama3-1-70b-instruct")]
    [InlineData("amazon.titan-embed-text-v2", "titan-embed-text")]
    [InlineData("gemini-2.5-pro@001", "gemini-2.5-pro")]
    [InlineData("gemini-2.0-flash@latest", "gemini-2.0-flash")]
    public void StripCloud_BedrockAndVertexDecorations_AreRemoved(string model, string expected) =>
        ModelNames.StripCloud(model).ShouldBe(expected);

    [Theory]
    [InlineData("gpt-4.1")]
    [InlineData("deepseek-v3")]
    [InlineData("claude-sonnet-4@20250514")]
    [InlineData("o3")]
    [InlineData("mistral-large-2411")]
    public void StripCloud_PlainNames_AreLeftAlone(string model) =>
        ModelNames.StripCloud(model).ShouldBeNull();
}
