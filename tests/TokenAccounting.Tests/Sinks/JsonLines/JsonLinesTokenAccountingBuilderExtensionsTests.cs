using Microsoft.Extensions.DependencyInjection;
using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

public sealed class JsonLinesTokenAccountingBuilderExtensionsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AddJsonLinesSink_Resolved_WritesToTheConfiguredTemplateUsingTheTimeProviderFromDI()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 5, 6, 7, 0, 0, TimeSpan.Zero)));
        new TestBuilder(services).AddJsonLinesSink(o => o.PathTemplate = _folder.Template);

        await using (var provider = services.BuildServiceProvider())
        {
            var sink = provider.GetServices<IUsageSink>().ShouldHaveSingleItem().ShouldBeOfType<JsonLinesUsageSink>();
            await sink.WriteAsync(Batch("b1", Record("r1") with { CompletedAt = null }), CancellationToken.None);
        }

        (await ReadAllAsync(_folder.Day("2026-05-06"))).ShouldHaveSingleItem().Id.ShouldBe("r1");
    }

    [Fact]
    public void AddJsonLinesSink_CalledTwice_RegistersTwoSinks()
    {
        var services = new ServiceCollection();
        var builder = new TestBuilder(services);

        builder.AddJsonLinesSink(o => o.PathTemplate = Path.Combine(_folder.Path, "a", "a-{date}.jsonl"))
            .AddJsonLinesSink(o => o.PathTemplate = Path.Combine(_folder.Path, "b", "b-{date}.jsonl"));

        using var provider = services.BuildServiceProvider();
        provider.GetServices<IUsageSink>().OfType<JsonLinesUsageSink>().Select(s => s.DirectoryPath)
            .ShouldBe([Path.Combine(_folder.Path, "a"), Path.Combine(_folder.Path, "b")]);
    }

    [Fact]
    public void AddJsonLinesSink_InvalidOptions_ThrowsAtRegistrationNamingTheOption()
    {
        var builder = new TestBuilder(new ServiceCollection());

        var ex = Should.Throw<ArgumentOutOfRangeException>(() => builder.AddJsonLinesSink(o => o.RetentionDays = 0));

        ex.ParamName.ShouldBe("RetentionDays");
    }

    [Fact]
    public async Task AddJsonLinesSink_ContainerDisposed_SinkIsDisposed()
    {
        var services = new ServiceCollection();
        new TestBuilder(services).AddJsonLinesSink(o => o.PathTemplate = _folder.Template);
        var provider = services.BuildServiceProvider();
        var sink = provider.GetRequiredService<IUsageSink>();

        await provider.DisposeAsync();

        await Should.ThrowAsync<ObjectDisposedException>(async () => await sink.WriteAsync(Batch("b1", Record("r1")), CancellationToken.None));
    }

    [Fact]
    public async Task AddJsonLinesSink_NoUsageQueryRegistered_RegistersAJsonLinesUsageQueryOverTheSinksFolder()
    {
        // The spend API and the dashboard read IUsageQuery: they must work over the embedded default ledger.
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddJsonLinesSink(o => o.PathTemplate = _folder.Template);
        var day = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

        await using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        recorder.Record(Record("r1"));
        recorder.Record(Record("r2", model: "gpt-4o-mini"));
        await recorder.FlushAsync();

        var query = provider.GetRequiredService<IUsageQuery>().ShouldBeOfType<JsonLinesUsageQuery>();
        query.Path.ShouldBe(provider.GetServices<IUsageSink>().OfType<JsonLinesUsageSink>().ShouldHaveSingleItem().DirectoryPath);
        var totals = await query.QueryTotalsAsync(new UsageQuery(day, day.AddDays(1)) { GroupBy = [UsageDimension.Model] });
        totals.Source.ShouldBe(UsageQuerySource.Rollups);
        totals.Rows.Select(r => (r.Model, r.RequestCount, r.Tokens.Input)).ShouldBe([("gpt-4o", 1L, 100L), ("gpt-4o-mini", 1L, 100L)], ignoreOrder: true);
    }

    [Fact]
    public void AddJsonLinesSink_UsageQueryRegisteredBefore_KeepsIt()
    {
        var services = new ServiceCollection();
        var mine = new InMemoryUsageQuery([]);
        services.AddSingleton<IUsageQuery>(mine);
        new TestBuilder(services).AddJsonLinesSink(o => o.PathTemplate = _folder.Template);

        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IUsageQuery>().ShouldBeSameAs(mine);
        provider.GetServices<IUsageQuery>().ShouldHaveSingleItem();
    }

    [Fact]
    public void AddJsonLinesSink_CalledTwice_RegistersOneQueryOverTheFirstSinksFolder()
    {
        var services = new ServiceCollection();
        new TestBuilder(services)
            .AddJsonLinesSink(o => o.PathTemplate = Path.Combine(_folder.Path, "a", "a-{date}.jsonl"))
            .AddJsonLinesSink(o => o.PathTemplate = Path.Combine(_folder.Path, "b", "b-{date}.jsonl"));

        using var provider = services.BuildServiceProvider();

        provider.GetServices<IUsageQuery>().ShouldHaveSingleItem().ShouldBeOfType<JsonLinesUsageQuery>().Path.ShouldBe(Path.Combine(_folder.Path, "a"));
    }

    private sealed class TestBuilder(IServiceCollection services) : ITokenAccountingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
