using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TokenAccounting.Tool.Ledgers;
using TokenAccounting.Tool.Prices;

namespace TokenAccounting.Tool.Commands;

/// <summary><c>tokenaccounting reprice &lt;ledger&gt; --prices FILE</c>: what the same usage costs under other prices.</summary>
internal sealed class RepriceCommand(ToolConsole console, TimeProvider time, long progressThresholdBytes)
{
    public Command Build()
    {
        var ledger = new Argument<string>("ledger") { Description = "The ledger: a JSON-lines folder or file, a SQLite file, or with --postgres a PostgreSQL connection string." };
        var postgres = new Option<bool>("--postgres") { Description = "<ledger> is a PostgreSQL connection string." };
        var prices = new Option<string>("--prices") { Description = "The new prices: a LiteLLM model_prices_and_context_window.json or a genai-prices data.json file (told apart by their shape).", Required = true, HelpName = "file" };
        var pricesFormat = new Option<string?>("--prices-format") { Description = "auto (default), litellm or genai-prices.", HelpName = "format" };
        var from = new Option<string?>("--from") { Description = $"First day (or instant) to re-price: {ArgumentParsing.DateHelp}. Default: the start of the ledger.", HelpName = "date" };
        var to = new Option<string?>("--to") { Description = "Last day included (yyyy-MM-dd), or an exclusive end instant. Default: today (UTC).", HelpName = "date" };
        var format = new Option<string?>("--format") { Description = "table (default), csv or json.", HelpName = "format" };
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file instead of stdout.", HelpName = "file" };
        var command = new Command("reprice", "What the recorded usage would cost under other prices, per model: old (as recorded) / new / delta. "
            + "JSON-lines ledgers are re-priced record by record; SQL ledgers from their daily totals at the base rates (per-request long-context tiers and service tiers are not applied).")
        {
            ledger, postgres, prices, pricesFormat, from, to, format, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var outputPath = parse.GetValue(output);
            var outputFormat = OutputFormats.Resolve(parse.GetValue(format), outputPath, allowHtml: false);
            var (start, end) = ArgumentParsing.Range(parse.GetValue(from), parse.GetValue(to), time.GetUtcNow(), defaultDays: null);
            var loaded = PriceFiles.Load(parse.GetValue(prices)!, PriceFiles.ParseFormat(parse.GetValue(pricesFormat)));
            loaded.Warnings.ToList().ForEach(console.Warn);
            using var opened = LedgerOpener.Open(parse.GetValue(ledger)!, parse.GetValue(postgres), out var jsonLines);
            var rows = await ReadProgress.RunAsync(console, jsonLines, progressThresholdBytes,
                () => RepriceAsync(opened, loaded.Catalog, start, end, cancellationToken)).ConfigureAwait(false);
            Render(rows, opened, loaded, outputFormat, outputPath);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static async Task<IReadOnlyList<ModelCostChange>> RepriceAsync(OpenedLedger ledger, IPriceCatalog catalog, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        if (ledger.Records is { } records)
        {
            var inRange = records().Where(r => r.CompletedAt is { } at ? at >= from && at < to : from == DateTimeOffset.MinValue);
            return UsageRepricer.Reprice(inRange, catalog).Models;
        }

        var result = await ledger.Query.QueryTotalsAsync(
            new UsageQuery(from, to) { GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider] }, cancellationToken).ConfigureAwait(false);
        var byModel = new Dictionary<(string Model, string? Provider), (long Records, decimal Old, decimal New, long UnpricedBefore, long UnpricedAfter)>();
        foreach (var row in result.Rows)
        {
            var key = (row.Model ?? string.Empty, row.Provider);
            byModel.TryGetValue(key, out var sums);
            var day = new DateTimeOffset(row.Date!.Value.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var price = catalog.FindPrice(row.Provider, key.Item1, day);
            sums.Records += row.RequestCount;
            sums.Old += row.Cost?.Total ?? 0m;
            sums.UnpricedBefore += row.UnpricedRequestCount;
            if (price is null)
            {
                sums.UnpricedAfter += row.RequestCount;
            }
            else
            {
                sums.New += BaseRates(price).Cost(row.Tokens).Total;
            }

            byModel[key] = sums;
        }

        return [.. byModel
            .Select(p => new ModelCostChange(p.Key.Model, p.Key.Provider, p.Value.Records, p.Value.Old, p.Value.New, p.Value.UnpricedBefore, p.Value.UnpricedAfter))
            .OrderBy(c => c.Model, StringComparer.Ordinal).ThenBy(c => c.Provider, StringComparer.Ordinal)];
    }

    /// <summary>The price without its long-context tier: a daily total's input is not one request's input.</summary>
    private static ModelPrice BaseRates(ModelPrice price) => new()
    {
        Model = price.Model,
        Provider = price.Provider,
        EffectiveFrom = price.EffectiveFrom,
        Input = price.Input,
        CachedInput = price.CachedInput,
        CacheWrite = price.CacheWrite,
        CacheWriteLongTtl = price.CacheWriteLongTtl,
        Output = price.Output,
        Reasoning = price.Reasoning,
    };

    private void Render(IReadOnlyList<ModelCostChange> rows, OpenedLedger ledger, LoadedPrices prices, OutputFormat format, string? outputPath)
    {
        var oldTotal = rows.Sum(r => r.OldTotal);
        var newTotal = rows.Sum(r => r.NewTotal);
        switch (format)
        {
            case OutputFormat.Json:
                OutputFormats.Write(console, outputPath, w => w.Write(Json(rows, oldTotal, newTotal)));
                break;
            case OutputFormat.Csv:
                OutputFormats.Write(console, outputPath, w =>
                {
                    w.Write("model,provider,records,old_usd,new_usd,delta_usd,unpriced_before,unpriced_after\r\n");
                    foreach (var r in rows)
                    {
                        w.Write(string.Join(',', Csv(r.Model), Csv(r.Provider ?? string.Empty), N(r.Records), D(r.OldTotal), D(r.NewTotal), D(r.Delta), N(r.UnpricedBefore), N(r.UnpricedAfter)));
                        w.Write("\r\n");
                    }
                });
                break;
            default:
                var table = new Table().Border(TableBorder.Rounded).Title("[bold]Re-priced usage[/]");
                table.AddColumns("model", "provider");
                foreach (var name in new[] { "records", "old USD", "new USD", "delta USD", "delta", "unpriced before", "unpriced after" })
                {
                    table.AddColumn(new TableColumn(name).RightAligned());
                }

                foreach (var r in rows)
                {
                    table.AddRow(Markup.Escape(r.Model), Markup.Escape(r.Provider ?? "(none)"), N(r.Records), D(r.OldTotal), D(r.NewTotal), Signed(r.Delta), Change(r.OldTotal, r.Delta), N(r.UnpricedBefore), N(r.UnpricedAfter));
                }

                table.AddRow("[bold]total[/]", string.Empty, N(rows.Sum(r => r.Records)), D(oldTotal), D(newTotal), Signed(newTotal - oldTotal), Change(oldTotal, newTotal - oldTotal), N(rows.Sum(r => r.UnpricedBefore)), N(rows.Sum(r => r.UnpricedAfter)));
                if (outputPath is null)
                {
                    console.Out.MarkupLine($"[bold]{Markup.Escape(ledger.Description)}[/] re-priced with {Markup.Escape(prices.Description)}");
                    console.Out.Write(table);
                    return;
                }

                OutputFormats.Write(console, outputPath, w =>
                {
                    var file = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(w), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
                    file.Profile.Width = 200;
                    file.Write(table);
                });
                break;
        }

        if (outputPath is not null)
        {
            console.Out.MarkupLine($"Wrote the re-pricing to [bold]{Markup.Escape(outputPath)}[/].");
        }
    }

    private static string Json(IReadOnlyList<ModelCostChange> rows, decimal oldTotal, decimal newTotal)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("old_usd", oldTotal);
            json.WriteNumber("new_usd", newTotal);
            json.WriteNumber("delta_usd", newTotal - oldTotal);
            json.WriteStartArray("models");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("model", r.Model);
                if (r.Provider is null)
                {
                    json.WriteNull("provider");
                }
                else
                {
                    json.WriteString("provider", r.Provider);
                }

                json.WriteNumber("records", r.Records);
                json.WriteNumber("old_usd", r.OldTotal);
                json.WriteNumber("new_usd", r.NewTotal);
                json.WriteNumber("delta_usd", r.Delta);
                json.WriteNumber("unpriced_before", r.UnpricedBefore);
                json.WriteNumber("unpriced_after", r.UnpricedAfter);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string D(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Signed(decimal value) => (value > 0 ? "+" : string.Empty) + D(value);

    private static string Change(decimal old, decimal delta) =>
        old == 0m ? "n/a" : (delta > 0 ? "+" : string.Empty) + (delta / old * 100m).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string Csv(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
