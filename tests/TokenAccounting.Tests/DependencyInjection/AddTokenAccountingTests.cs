using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenAccounting.Tests.DependencyInjection;

public sealed class AddTokenAccountingTests
{
    [Fact]
    public void AddTokenAccounting_CalledTwice_RegistersServicesOnce()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink();
        services.AddTokenAccounting().AddInMemorySink();

        services.Count(d => d.ServiceType == typeof(IUsageRecorder)).ShouldBe(1);
        services.Count(d => d.ServiceType == typeof(UsageRecorder)).ShouldBe(1);
        services.Count(d => d.ServiceType == typeof(IUsageSink)).ShouldBe(1);
        services.Count(d => d.ServiceType == typeof(IValidateOptions<TokenAccountingOptions>)).ShouldBe(1);

        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IUsageRecorder>().ShouldBeSameAs(provider.GetRequiredService<UsageRecorder>());
    }

    [Fact]
    public async Task AddInMemorySink_RecordsReachTheResolvableSink()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink();
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IUsageRecorder>().Record(Usage.Chat("gpt-4o", 10, 2));
        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();

        provider.GetRequiredService<InMemoryUsageSink>().Total.Tokens.ShouldBe(new TokenCounts(10, 2));
    }

    [Fact]
    public async Task ContainerDisposal_FlushesPendingRecords()
    {
        var sink = new InMemoryUsageSink();
        var services = new ServiceCollection();
        services.AddTokenAccounting(o => o.FlushInterval = TimeSpan.FromHours(1)).AddSink(sink);
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IUsageRecorder>().Record(Usage.Chat("gpt-4o", 1, 1));

        await provider.DisposeAsync();

        sink.Records.Count.ShouldBe(1);
    }

    [Fact]
    public void SynchronousContainerDisposal_FlushesPendingRecords()
    {
        var sink = new InMemoryUsageSink();
        var services = new ServiceCollection();
        services.AddTokenAccounting(o => o.FlushInterval = TimeSpan.FromHours(1)).AddSink(_ => sink);
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IUsageRecorder>().Record(Usage.Chat("gpt-4o", 1, 1));

        provider.Dispose();

        sink.Records.Count.ShouldBe(1);
    }

    [Fact]
    public void AddTokenAccounting_InvalidOption_FailsAtStartupNamingTheOption()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting(o => o.MaxBatchSize = 0);
        using var provider = services.BuildServiceProvider();

        var ex = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IUsageRecorder>());
        ex.Message.ShouldContain("MaxBatchSize");
    }

    [Fact]
    public void AddTokenAccounting_FromConfiguration_BindsOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenAccounting:MaxBatchSize"] = "250",
            ["TokenAccounting:FlushInterval"] = "00:00:02",
            ["TokenAccounting:CaptureText"] = "true",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenAccounting(configuration.GetSection("TokenAccounting"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<TokenAccountingOptions>>().Value;
        options.MaxBatchSize.ShouldBe(250);
        options.FlushInterval.ShouldBe(TimeSpan.FromSeconds(2));
        options.CaptureText.ShouldBeTrue();
    }

    [Fact]
    public void AddTokenAccounting_UnknownConfigurationKey_FailsNamingIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenAccounting:MaxBatchSise"] = "250",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenAccounting(configuration.GetSection("TokenAccounting"));
        using var provider = services.BuildServiceProvider();

        var ex = Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<IOptions<TokenAccountingOptions>>().Value);
        ex.Message.ShouldContain("MaxBatchSise");
    }

    [Fact]
    public void AddSinkOfType_AddedTwice_RegistersOnce()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddSink<FakeUsageSink>().AddSink<FakeUsageSink>();

        using var provider = services.BuildServiceProvider();
        provider.GetServices<IUsageSink>().ShouldHaveSingleItem().ShouldBeOfType<FakeUsageSink>();
    }
}
