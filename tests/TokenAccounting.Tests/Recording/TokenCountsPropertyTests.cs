using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace TokenAccounting.Tests.Recording;

public sealed class TokenCountsPropertyTests
{
    // Counts small enough that three of them never overflow when added.
    private const long Max = long.MaxValue / 8;

    [Property(Arbitrary = [typeof(ValidCounts)])]
    public bool AdditionOperator_AnyTwoValidCounts_IsCommutative(TokenCounts a, TokenCounts b) => a + b == b + a;

    [Property(Arbitrary = [typeof(ValidCounts)])]
    public bool AdditionOperator_AnyThreeValidCounts_IsAssociative(TokenCounts a, TokenCounts b, TokenCounts c) => (a + b) + c == a + (b + c);

    [Property(Arbitrary = [typeof(ValidCounts)])]
    public void AdditionOperator_AnyTwoValidCounts_PreservesInvariantsAndTotal(TokenCounts a, TokenCounts b)
    {
        var sum = a + b;

        // Rebuilding through the validating constructor throws if an invariant broke.
        new TokenCounts(sum.Input, sum.Output, sum.CachedInput, sum.CacheWriteInput, sum.CacheWriteLongTtlInput, sum.Reasoning).ShouldBe(sum);
        sum.Total.ShouldBe(a.Total + b.Total);
    }

    [Property(Arbitrary = [typeof(ValidCounts)])]
    public void ParseOpenAI_ChatUsageOfAnyValidCounts_RoundTrips(TokenCounts counts)
    {
        var openAI = new TokenCounts(counts.Input, counts.Output, counts.CachedInput, 0, 0, counts.Reasoning);
        var json = string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"usage": {"prompt_tokens": {{openAI.Input}}, "completion_tokens": {{openAI.Output}}, "total_tokens": {{openAI.Total}}, "prompt_tokens_details": {"cached_tokens": {{openAI.CachedInput}}}, "completion_tokens_details": {"reasoning_tokens": {{openAI.Reasoning}} } } }""");

        UsageParsers.ParseOpenAI(json).ShouldBe(openAI);
    }

    [Property(Arbitrary = [typeof(ValidCounts)])]
    public void ParseAnthropic_UsageOfAnyValidCounts_RoundTrips(TokenCounts counts)
    {
        var anthropic = new TokenCounts(counts.Input, counts.Output, counts.CachedInput, counts.CacheWriteInput, counts.CacheWriteLongTtlInput, 0);
        var shortTtl = anthropic.CacheWriteInput - anthropic.CacheWriteLongTtlInput;
        var json = string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"input_tokens": {{anthropic.UncachedInput}}, "output_tokens": {{anthropic.Output}}, "cache_read_input_tokens": {{anthropic.CachedInput}}, "cache_creation_input_tokens": {{anthropic.CacheWriteInput}}, "cache_creation": {"ephemeral_5m_input_tokens": {{shortTtl}}, "ephemeral_1h_input_tokens": {{anthropic.CacheWriteLongTtlInput}} } }""");

        UsageParsers.ParseAnthropic(json).ShouldBe(anthropic);
    }

    [Property(Arbitrary = [typeof(ValidCounts)])]
    public void ParseGemini_UsageMetadataOfAnyValidCounts_RoundTrips(TokenCounts counts)
    {
        var gemini = new TokenCounts(counts.Input, counts.Output, counts.CachedInput, 0, 0, counts.Reasoning);
        var json = string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"usageMetadata": {"promptTokenCount": {{gemini.Input}}, "candidatesTokenCount": {{gemini.Output - gemini.Reasoning}}, "cachedContentTokenCount": {{gemini.CachedInput}}, "thoughtsTokenCount": {{gemini.Reasoning}}, "totalTokenCount": {{gemini.Total}} } }""");

        UsageParsers.ParseGemini(json).ShouldBe(gemini);
    }

    public static class ValidCounts
    {
        public static Arbitrary<TokenCounts> Counts() =>
            (from input in UpTo(Max)
             from output in UpTo(Max)
             from cached in UpTo(input)
             from cacheWrite in UpTo(input - cached)
             from longTtl in UpTo(cacheWrite)
             from reasoning in UpTo(output)
             select new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning)).ToArbitrary();

        // Small values, the bounds themselves, and values spread over the whole range.
        private static Gen<long> UpTo(long max) => Gen.OneOf(
            Gen.Choose(0, (int)Math.Min(max, 1000)).Select(i => (long)i),
            Gen.Constant(max),
            Gen.Choose(0, int.MaxValue).Select(i => (long)((decimal)max * i / int.MaxValue)));
    }
}
