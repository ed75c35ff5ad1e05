namespace TokenAccounting.Tests.Recording;

public sealed class UsageEstimatorTests
{
    [Fact]
    public void Complete_NothingReported_EstimatesBothSidesAndSaysSo()
    {
        var estimator = new UsageEstimator(bytesPerInputToken: 4, tokensPerOutputChunk: 1);

        var (tokens, provenance) = estimator.Complete(reportedInput: null, reportedOutput: null, requestBytes: 1001, chunkCount: 37);

        tokens.ShouldBe(new TokenCounts(251, 37), "⌈1001 / 4⌉ = 251 input, 37 chunks × 1 = 37 output");
        provenance.ShouldBe(UsageProvenance.Estimated);
    }

    [Fact]
    public void Complete_InputReportedStreamCutBeforeUsage_KeepsTheReportedInput()
    {
        var estimator = new UsageEstimator(bytesPerInputToken: 3, tokensPerOutputChunk: 2);

        var (tokens, provenance) = estimator.Complete(reportedInput: 1200, reportedOutput: null, requestBytes: 99_999, chunkCount: 10);

        tokens.ShouldBe(new TokenCounts(1200, 20));
        provenance.ShouldBe(UsageProvenance.Estimated);
    }

    [Fact]
    public void Complete_BothReported_IsReportedAndUntouched()
    {
        var (tokens, provenance) = UsageEstimator.Default.Complete(reportedInput: 5, reportedOutput: 7, requestBytes: 4000, chunkCount: 300);

        tokens.ShouldBe(new TokenCounts(5, 7));
        provenance.ShouldBe(UsageProvenance.Reported);
    }

    [Fact]
    public void From_Options_UsesTheConfiguredRatios()
    {
        var estimator = UsageEstimator.From(new TokenAccountingOptions { BytesPerInputToken = 2, TokensPerOutputChunk = 3 });

        estimator.EstimateInputTokens(5).ShouldBe(3);
        estimator.EstimateOutputTokens(4).ShouldBe(12);
    }

    [Theory]
    [InlineData(100, 0, 100, 0)]
    [InlineData(100, 30, 70, 30)]
    public void FromTotal_EmbeddingOrRerankWithOnlyATotal_InputIsTotalMinusOutput(long total, long output, long expectedInput, long expectedOutput)
    {
        UsageEstimator.FromTotal(total, output).ShouldBe(new TokenCounts(expectedInput, expectedOutput));
    }

    [Fact]
    public void FromTotal_OutputAboveTotal_ThrowsNamingTheParameter()
    {
        Should.Throw<ArgumentException>(() => UsageEstimator.FromTotal(10, 11)).ParamName.ShouldBe("outputTokens");
    }

    [Fact]
    public void Constructor_RatioBelowOne_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageEstimator(bytesPerInputToken: 0)).ParamName.ShouldBe("bytesPerInputToken");
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageEstimator(tokensPerOutputChunk: 0)).ParamName.ShouldBe("tokensPerOutputChunk");
    }
}
