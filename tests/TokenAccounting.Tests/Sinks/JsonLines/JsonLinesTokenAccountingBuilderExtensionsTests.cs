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

    private sealed class TestBuilder(IServiceCollection services) : ITokenAccountingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
