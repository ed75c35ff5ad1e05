using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TokenAccounting.Tests.Sinks.Logging;

public sealed class LoggingUsageSinkTests
{
    private static readonly UsageRecord Full = new()
    {
        Id = "rec-1",
        Model = "gpt-4o",
        ResponseModel = "gpt-4o-2024-08-06",
        Provider = "openai",
        Operation = UsageOperation.Chat,
        Tokens = new TokenCounts(1200, 300, cachedInput: 200, cacheWriteInput: 100, reasoning: 50),
        Provenance = UsageProvenance.Estimated,
        Outcome = UsageOutcome.Failed,
        DegradedReason = "router_failed",
        CompletedAt = new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero),
        Latency = TimeSpan.FromMilliseconds(812.5),
        CorrelationId = "corr-1",
        UserId = "user-7",
        TenantId = "tenant-3",
        ApiKeyId = "key-1",
        Route = "/answer",
        ScopePath = "agent/plan",
        Cost = new UsageCost(0.003m, 0.0001m, 0m, 0.002m, 0.0005m),
        Text = "SECRET-PROMPT-TEXT: my password is hunter2",
    };

    [Fact]
    public async Task WriteAsync_Record_LogsOneStructuredEventWithNamedProperties()
    {
        var logs = new CapturingLoggerProvider();
        var sink = new LoggingUsageSink(logs.CreateLogger("usage"));

        await sink.WriteAsync(new UsageBatch("batch-9", [Full], []), CancellationToken.None);

        var log = logs.Logs.ShouldHaveSingleItem();
        log.Level.ShouldBe(LogLevel.Information);
        log.EventId.Id.ShouldBe(1);
        log.EventId.Name.ShouldBe("UsageRecorded");
        log["Model"].ShouldBe("gpt-4o");
        log["Provider"].ShouldBe("openai");
        log["Operation"].ShouldBe("chat");
        log["InputTokens"].ShouldBe(1200L);
        log["OutputTokens"].ShouldBe(300L);
        log["CachedInputTokens"].ShouldBe(200L);
        log["CacheWriteInputTokens"].ShouldBe(100L);
        log["ReasoningTokens"].ShouldBe(50L);
        log["CostUsd"].ShouldBe(0.0056m);
        log["UserId"].ShouldBe("user-7");
        log["TenantId"].ShouldBe("tenant-3");
        log["ApiKeyId"].ShouldBe("key-1");
        log["Outcome"].ShouldBe(UsageOutcome.Failed);
        log["Provenance"].ShouldBe(UsageProvenance.Estimated);
        log["DegradedReason"].ShouldBe("router_failed");
        log["LatencyMs"].ShouldBe(812.5);
        log["RecordId"].ShouldBe("rec-1");
        log["BatchId"].ShouldBe("batch-9");
        log.Message.ShouldContain("gpt-4o");
        log.Message.ShouldContain("1200");
    }

    [Fact]
    public async Task WriteAsync_RecordCarryingText_NeverLogsTheText()
    {
        var logs = new CapturingLoggerProvider();
        var sink = new LoggingUsageSink(logs.CreateLogger("usage"));

        await sink.WriteAsync(new UsageBatch("b", [Full, Full with { Id = "rec-2" }], []), CancellationToken.None);

        logs.Logs.Count.ShouldBe(2);
        foreach (var log in logs.Logs)
        {
            log.Message.ShouldNotContain("SECRET");
            log.Message.ShouldNotContain("hunter2");
            log.Properties.ShouldNotContain(p => p.Key == "Text");
            log.Properties.ShouldAllBe(p => !(p.Value is string && ((string)p.Value).Contains("SECRET")));
        }
    }

    [Fact]
    public async Task WriteAsync_ThreeRecords_LogsOneEventPerRecordInOrder()
    {
        var logs = new CapturingLoggerProvider();
        var sink = new LoggingUsageSink(logs.CreateLogger("usage"));

        await sink.WriteAsync(new UsageBatch("b", [Full with { Id = "1" }, Full with { Id = "2" }, Full with { Id = "3" }], []), CancellationToken.None);

        logs.Logs.Select(l => l["RecordId"]).ShouldBe(["1", "2", "3"]);
    }

    [Fact]
    public async Task WriteAsync_ConfiguredLevel_LogsAtThatLevel()
    {
        var logs = new CapturingLoggerProvider();
        var sink = new LoggingUsageSink(logs.CreateLogger("usage"), new LoggingUsageSinkOptions { Level = LogLevel.Debug });

        await sink.WriteAsync(new UsageBatch("b", [Full], []), CancellationToken.None);

        logs.Logs.ShouldHaveSingleItem().Level.ShouldBe(LogLevel.Debug);
    }

    [Fact]
    public async Task WriteAsync_LevelBelowTheLoggersMinimum_LogsNothing()
    {
        var logs = new CapturingLoggerProvider { MinimumLevel = LogLevel.Warning };
        var sink = new LoggingUsageSink(logs.CreateLogger("usage"));

        await sink.WriteAsync(new UsageBatch("b", [Full], []), CancellationToken.None);

        logs.Logs.ShouldBeEmpty();
    }

    [Fact]
    public void Constructor_LevelNone_ThrowsNamingLevel()
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => new LoggingUsageSink(new CapturingLoggerProvider().CreateLogger("x"), new LoggingUsageSinkOptions { Level = LogLevel.None }));

        ex.ParamName.ShouldBe("Level");
    }

    [Fact]
    public async Task AddLoggingSink_Resolved_LogsThroughTheLoggerFactoryWithTheUsageCategory()
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        new TestBuilder(services).AddLoggingSink(o => o.Level = LogLevel.Warning);
        using var provider = services.BuildServiceProvider();

        var sink = provider.GetServices<IUsageSink>().ShouldHaveSingleItem().ShouldBeOfType<LoggingUsageSink>();
        await sink.WriteAsync(new UsageBatch("b", [Full], []), CancellationToken.None);

        var log = logs.Logs.ShouldHaveSingleItem();
        log.Category.ShouldBe("TokenAccounting.Usage");
        log.Level.ShouldBe(LogLevel.Warning);
    }

    [Fact]
    public void AddLoggingSink_EmptyCategory_ThrowsAtRegistrationNamingCategoryName()
    {
        var ex = Should.Throw<ArgumentException>(() => new TestBuilder(new ServiceCollection()).AddLoggingSink(o => o.CategoryName = " "));

        ex.ParamName.ShouldBe("CategoryName");
    }

    private sealed class TestBuilder(IServiceCollection services) : ITokenAccountingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
