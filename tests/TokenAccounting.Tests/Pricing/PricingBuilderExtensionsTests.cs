using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests.Pricing;

public sealed class PricingBuilderExtensionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AddGenAiPrices_File_LayersItsPricesAndProviderRulesOverTheBuiltInCatalog()
    {
        using var provider = Build(b => b.AddGenAiPrices(PricingFixtures.Path("genai-prices-small.json")));

        var catalog = (PriceCatalog)provider.GetRequiredService<IPriceCatalog>();

        // From the file: its own model, and its o3 replaces the built-in o3 (no batch variant there).
        catalog.FindPrice("openai", "gpt-test-tiers", Now)!.AdditionalTiers.Count.ShouldBe(1);
        catalog.FindPrice("openai", "o3", Now)!.Batch.ShouldBeNull();

        // Still from the built-in catalog below it.
        catalog.FindPrice("anthropic", "claude-sonnet-4-5", Now)!.Input.ShouldBe(3m);
    }

    [Fact]
    public void AddPricing_ConfigurationGenAiPricesFilePath_LoadsTheFileWithoutTheBuiltIn()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pricing:IncludeBuiltIn"] = "false",
            ["Pricing:GenAiPricesFilePath"] = PricingFixtures.Path("genai-prices-small.json"),
        }).Build();
        using var provider = Build(b => b.AddPricing(configuration.GetSection("Pricing")));

        var catalog = provider.GetRequiredService<IPriceCatalog>();
        catalog.FindPrice("perplexity", "sonar", Now)!.PerThousandRequests.ShouldBe(12m);
        catalog.FindPrice("anthropic", "claude-sonnet-4-5", Now).ShouldBeNull();
    }

    [Fact]
    public void AddPricing_Default_RegistersBuiltInCatalogAndDiagnostics()
    {
        using var provider = Build(b => b.AddPricing());

        var catalog = provider.GetRequiredService<IPriceCatalog>();
        catalog.FindPrice("openai", "gpt-4o", Now)!.Input.ShouldBe(2.5m);
        provider.GetRequiredService<PricingDiagnostics>().ShouldBeSameAs(((PriceCatalog)catalog).Diagnostics);
    }

    [Fact]
    public void AddPricing_CalledTwice_RegistersServicesOnce()
    {
        var services = new ServiceCollection();
        var builder = new TestTokenAccountingBuilder(services);

        builder.AddPricing().AddPricing();

        services.Count(d => d.ServiceType == typeof(IPriceCatalog)).ShouldBe(1);
        services.Count(d => d.ServiceType == typeof(PricingDiagnostics)).ShouldBe(1);
    }

    [Fact]
    public void AddPricing_UserCatalogRegisteredFirst_Wins()
    {
        var mine = PriceCatalog.Empty;
        using var provider = Build(b =>
        {
            b.Services.AddSingleton<IPriceCatalog>(mine);
            b.AddPricing();
        });

        provider.GetRequiredService<IPriceCatalog>().ShouldBeSameAs(mine);
    }

    [Fact]
    public void AddPricing_CodeOverrides_ReplaceBuiltInPrices()
    {
        using var provider = Build(b => b.AddPricing(new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2m, Output = 8m }));

        var catalog = provider.GetRequiredService<IPriceCatalog>();
        catalog.FindPrice("openai", "gpt-4o", Now)!.Input.ShouldBe(2m);
        catalog.FindPrice("openai", "gpt-4o-mini", Now)!.Input.ShouldBe(0.15m);
    }

    [Fact]
    public void AddPricing_ConfigurationSection_AppliesOverridesAndLayers()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pricing:IncludeBuiltIn"] = "true",
            ["Pricing:Models:0:Provider"] = "openai",
            ["Pricing:Models:0:Model"] = "gpt-4o",
            ["Pricing:Models:0:Input"] = "2.25",
            ["Pricing:Models:0:CachedInput"] = "1.1",
            ["Pricing:Models:0:Output"] = "9",
            ["Pricing:Models:0:Batch:Input"] = "1",
            ["Pricing:Models:0:Batch:Output"] = "4",
            ["Pricing:Models:my-finetune:Provider"] = "openai",
            ["Pricing:Models:my-finetune:Input"] = "3.75",
            ["Pricing:Models:my-finetune:Output"] = "15",
            ["Pricing:Models:my-finetune:MaxInputTokens"] = "64000",
            ["Pricing:Models:my-finetune:LongContext:AboveInputTokens"] = "32000",
            ["Pricing:Models:my-finetune:LongContext:Input"] = "7.5",
            ["Pricing:Models:my-finetune:LongContext:Output"] = "30",
        }).Build();

        using var provider = Build(b => b.AddPricing(configuration.GetSection("Pricing")));
        var catalog = provider.GetRequiredService<IPriceCatalog>();

        var gpt4o = catalog.FindPrice("openai", "gpt-4o", Now)!;
        gpt4o.Input.ShouldBe(2.25m);
        gpt4o.CachedInput.ShouldBe(1.1m);

        // Batch override: 1,000 × 1 / 1M + 1,000 × 4 / 1M = 0.005.
        gpt4o.Cost(new TokenCounts(1_000, 1_000), "batch").Total.ShouldBe(0.005m);

        var finetune = catalog.FindPrice("openai", "my-finetune", Now)!;
        finetune.MaxInputTokens.ShouldBe(64_000);

        // Above 32,000 input tokens the whole request is at 7.5 / 30: 40,000 × 7.5 / 1M + 100 × 30 / 1M = 0.3 + 0.003.
        finetune.Cost(new TokenCounts(40_000, 100)).Total.ShouldBe(0.303m);

        // Built-in prices stay below the overrides.
        catalog.FindPrice("anthropic", "claude-haiku-4-5", Now)!.Input.ShouldBe(1m);
    }

    [Fact]
    public void AddPricing_ConfigurationWithoutBuiltIn_HasOnlyConfiguredModels()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IncludeBuiltIn"] = "false",
            ["Models:local:Input"] = "0",
            ["Models:local:Output"] = "0",
        }).Build();

        using var provider = Build(b => b.AddPricing(configuration));
        var catalog = provider.GetRequiredService<IPriceCatalog>();

        catalog.FindPrice(null, "local", Now).ShouldNotBeNull();
        catalog.FindPrice("openai", "gpt-4o", Now).ShouldBeNull();
    }

    [Fact]
    public void AddPricing_ConfigurationWithBadNumber_FailsNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pricing:Models:0:Model"] = "gpt-4o",
            ["Pricing:Models:0:Input"] = "two dollars",
        }).Build();

        using var provider = Build(b => b.AddPricing(configuration.GetSection("Pricing")));

        var ex = Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<IPriceCatalog>());
        ex.Message.ShouldContain("Pricing:Models:0:Input");
    }

    [Fact]
    public void AddLiteLlmPricing_File_LayersFilePricesOverBuiltIn()
    {
        using var provider = Build(b => b.AddLiteLlmPricing(PricingFixtures.Path("litellm-small.json")));
        var catalog = provider.GetRequiredService<IPriceCatalog>();

        catalog.FindPrice("openai", "gpt-test", Now)!.Input.ShouldBe(2.5m);
        catalog.FindPrice("openai", "gpt-5", Now)!.Input.ShouldBe(1.25m);
    }

    private static ServiceProvider Build(Action<ITokenAccountingBuilder> configure)
    {
        var services = new ServiceCollection();
        configure(new TestTokenAccountingBuilder(services));
        return services.BuildServiceProvider();
    }
}
