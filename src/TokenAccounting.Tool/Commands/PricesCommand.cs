using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TokenAccounting.Tool.Prices;

namespace TokenAccounting.Tool.Commands;

/// <summary><c>tokenaccounting prices &lt;model&gt;</c>: the catalog entry in effect now and its history.</summary>
internal sealed class PricesCommand(ToolConsole console, TimeProvider time)
{
    private static readonly string[] RateColumns = ["input", "cached input", "cache write", "cache write 1h", "output", "reasoning"];

    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "The model, as recorded (for example gpt-4o or claude-sonnet-4-5)." };
        var provider = new Option<string?>("--provider") { Description = "Only this provider's prices (for example openai, anthropic).", HelpName = "provider" };
        var prices = new Option<string?>("--prices") { Description = "Look in this price file (LiteLLM or genai-prices) instead of the built-in catalog.", HelpName = "file" };
        var pricesFormat = new Option<string?>("--prices-format") { Description = "auto (default), litellm or genai-prices.", HelpName = "format" };
        var command = new Command("prices", "A model's price in the catalog: the entry in effect today and every dated entry before and after it, in US dollars per million tokens.")
        {
            model, provider, prices, pricesFormat,
        };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            var providerName = parse.GetValue(provider);
            IPriceCatalog catalog = PriceCatalog.BuiltIn;
            var description = "the built-in catalog";
            if (parse.GetValue(prices) is { } path)
            {
                var loaded = PriceFiles.Load(path, PriceFiles.ParseFormat(parse.GetValue(pricesFormat)));
                loaded.Warnings.ToList().ForEach(console.Warn);
                catalog = loaded.Catalog;
                description = loaded.Description;
            }

            var now = time.GetUtcNow();
            var current = catalog.FindPrice(providerName, name, now);
            var entries = (catalog as PriceCatalog)?.Prices ?? [];
            var resolved = current?.Model ?? name;
            var history = entries
                .Where(p => string.Equals(p.Model, resolved, StringComparison.OrdinalIgnoreCase)
                    && (providerName is null || string.Equals(p.Provider, providerName, StringComparison.OrdinalIgnoreCase) || p.Provider is null))
                .OrderBy(p => p.Provider, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.EffectiveFrom ?? DateTimeOffset.MinValue)
                .ToList();
            if (current is null && history.Count == 0)
            {
                throw new ToolException($"No price for model \"{name}\"{(providerName is null ? string.Empty : $" from provider \"{providerName}\"")} in {description}.");
            }

            var table = new Table().Border(TableBorder.Rounded)
                .Title($"[bold]{Markup.Escape(resolved)}[/] in {Markup.Escape(description)}, USD per million tokens");
            table.AddColumns("provider", "effective from", "in effect");
            foreach (var column in RateColumns)
            {
                table.AddColumn(new TableColumn(column).RightAligned());
            }

            table.AddColumns("long context", "service tiers");
            foreach (var price in history.Count > 0 ? history : [current!])
            {
                table.AddRow(
                    Markup.Escape(price.Provider ?? "(any)"),
                    price.EffectiveFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "always",
                    ReferenceEquals(price, current) ? "[green]now[/]" : price.EffectiveFrom > now ? "future" : string.Empty,
                    D(price.Input), D(price.CachedInput ?? price.Input), D(price.CacheWrite ?? price.Input), D(price.CacheWriteLongTtl ?? price.CacheWrite ?? price.Input),
                    D(price.Output), D(price.Reasoning ?? price.Output),
                    price.LongContext is { } tier ? $"above {tier.AboveInputTokens.ToString("N0", CultureInfo.InvariantCulture)} input tokens" : string.Empty,
                    string.Join(", ", new[] { price.Batch is null ? null : "batch", price.Priority is null ? null : "priority", price.Flex is null ? null : "flex" }.OfType<string>()));
            }

            console.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string D(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);
}
