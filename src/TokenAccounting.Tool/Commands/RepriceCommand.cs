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
            + "Every ledger is re-priced record by record from its stored details; records whose details are gone (dropped under overload, or trimmed by a SQL ledger's detail retention; the rollups still hold them) "
            + "are re-priced from their daily totals at the base rates (per-request long-context tiers, service tiers and per-call tool charges are not applied to those).")
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
            var repricing = await ReadProgress.RunAsync(console, jsonLines, progressThresholdBytes,
                () => RepriceAsync(opened, loaded.Catalog, start, end, cancellationToken)).ConfigureAwait(false);
            if (repricing.RecordsWithoutDetails > 0)
            {
                console.Warn($"{repricing.RecordsWithoutDetails:N0} record(s) on {repricing.DaysWithoutDetails} day(s) have no {opened.DetailsName} (dropped under overload{(opened.Kind == LedgerKind.JsonLines ? string.Empty : " or trimmed by retention")}; the rollups hold them): "
                    + "their old cost is as recorded, their new cost is from the daily totals at base rates (no long-context or service tiers, no per-call tool charges).");
            }

            Render(repricing, opened, loaded, outputFormat, outputPath);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static async Task<Repricing> RepriceAsync(OpenedLedger ledger, IPriceCatalog catalog, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var totals = new UsageQuery(from, to) { GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider] };

        // Record by record (long-context and service tiers, audio, tool calls), tallying what the details hold per day,
        // model and provider; then whatever the rollups hold beyond that (details dropped under overload or trimmed).
        var details = new Dictionary<(DateOnly Day, string Model, string? Provider), Tally>();
        var inRange = ledger.Records(from, to, cancellationToken).ToBlockingEnumerable(cancellationToken)
            .Where(r => r.CompletedAt is { } at ? at >= from && at < to : from == DateTimeOffset.MinValue)
            .Select(r =>
            {
                if (r.CompletedAt is { } at)
                {
                    var key = (DateOnly.FromDateTime(at.UtcDateTime), r.Model, Normalize(r.Provider));
                    details.TryGetValue(key, out var tally);
                    details[key] = tally.Add(r.Tokens, 1, r.Cost?.Total ?? 0m, r.Cost is null ? 1 : 0);
                }

                return r;
            });
        var repriced = UsageRepricer.Reprice(inRange, catalog).Models;
        var recorded = await ledger.Query.QueryTotalsAsync(totals, cancellationToken).ConfigureAwait(false);
        var missing = new List<DailyTotal>();
        foreach (var row in recorded.Rows)
        {
            var day = DailyTotal.Of(row);
            details.TryGetValue((day.Day, day.Model, day.Provider), out var held);
            if (day.Requests > held.Records && Subtract(day.Tokens, held.Tokens) is { } tokens)
            {
                missing.Add(day with
                {
                    Tokens = tokens,
                    Requests = day.Requests - held.Records,
                    Cost = day.Cost - held.Cost,
                    Unpriced = Math.Max(0, day.Unpriced - held.Unpriced),
                });
            }
        }

        if (missing.Count == 0)
        {
            return new Repricing(repriced, 0, 0);
        }

        // Records name "no provider" as null or empty; the daily totals as null. Merge on the latter.
        var merged = new Dictionary<(string Model, string? Provider), ModelCostChange>();
        foreach (var change in repriced.Concat(FromDailyTotals(missing, catalog)))
        {
            var key = (change.Model, Normalize(change.Provider));
            merged[key] = merged.TryGetValue(key, out var held)
                ? held with
                {
                    Records = held.Records + change.Records,
                    OldTotal = held.OldTotal + change.OldTotal,
                    NewTotal = held.NewTotal + change.NewTotal,
                    UnpricedBefore = held.UnpricedBefore + change.UnpricedBefore,
                    UnpricedAfter = held.UnpricedAfter + change.UnpricedAfter,
                }
                : change;
        }

        return new Repricing(Ordered(merged.Values), missing.Sum(r => r.Requests), missing.Select(r => r.Day).Distinct().Count());
    }

    /// <summary>Re-prices daily totals per (day, model, provider) at the base rates of each day's price.</summary>
    private static IEnumerable<ModelCostChange> FromDailyTotals(IEnumerable<DailyTotal> rows, IPriceCatalog catalog)
    {
        var byModel = new Dictionary<(string Model, string? Provider), (long Records, decimal Old, decimal New, long UnpricedBefore, long UnpricedAfter)>();
        foreach (var row in rows)
        {
            var key = (row.Model, row.Provider);
            byModel.TryGetValue(key, out var sums);
            var day = new DateTimeOffset(row.Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var price = catalog.FindPrice(row.Provider, row.Model, day);
            sums.Records += row.Requests;
            sums.Old += row.Cost;
            sums.UnpricedBefore += row.Unpriced;
            if (price is null)
            {
                sums.UnpricedAfter += row.Requests;
            }
            else
            {
                sums.New += BaseRates(price).Cost(row.Tokens).Total + (row.Requests * (price.PerThousandRequests ?? 0m) / 1_000m);
            }

            byModel[key] = sums;
        }

        return byModel.Select(p => new ModelCostChange(p.Key.Model, p.Key.Provider, p.Value.Records, p.Value.Old, p.Value.New, p.Value.UnpricedBefore, p.Value.UnpricedAfter));
    }

    private static List<ModelCostChange> Ordered(IEnumerable<ModelCostChange> changes) =>
        [.. changes.OrderBy(c => c.Model, StringComparer.Ordinal).ThenBy(c => c.Provider, StringComparer.Ordinal)];

    /// <summary>What the rollup lines hold beyond the details, or null when the details hold more (nothing was dropped).</summary>
    private static TokenCounts? Subtract(TokenCounts recorded, TokenCounts held)
    {
        try
        {
            return new TokenCounts(
                recorded.Input - held.Input,
                recorded.Output - held.Output,
                recorded.CachedInput - held.CachedInput,
                recorded.CacheWriteInput - held.CacheWriteInput,
                recorded.CacheWriteLongTtlInput - held.CacheWriteLongTtlInput,
                recorded.Reasoning - held.Reasoning,
                recorded.InputAudio - held.InputAudio,
                recorded.CachedInputAudio - held.CachedInputAudio,
                recorded.OutputAudio - held.OutputAudio);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string? Normalize(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>What a re-pricing found: the rows, and how many records (on how many days) had no detail lines.</summary>
    internal sealed record Repricing(IReadOnlyList<ModelCostChange> Models, long RecordsWithoutDetails, int DaysWithoutDetails);

    /// <summary>One day's totals of a model and provider.</summary>
    private readonly record struct DailyTotal(DateOnly Day, string Model, string? Provider, TokenCounts Tokens, long Requests, decimal Cost, long Unpriced)
    {
        public static DailyTotal Of(UsageQueryRow row) =>
            new(row.Date!.Value, row.Model ?? string.Empty, row.Provider, row.Tokens, row.RequestCount, row.Cost?.Total ?? 0m, row.UnpricedRequestCount);
    }

    /// <summary>What the detail lines of one day, model and provider hold.</summary>
    private readonly record struct Tally(TokenCounts Tokens, long Records, decimal Cost, long Unpriced)
    {
        public Tally Add(TokenCounts tokens, long records, decimal cost, long unpriced) => new(Tokens + tokens, Records + records, Cost + cost, Unpriced + unpriced);
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
        InputAudio = price.InputAudio,
        CachedInputAudio = price.CachedInputAudio,
        OutputAudio = price.OutputAudio,
    };

    private void Render(Repricing repricing, OpenedLedger ledger, LoadedPrices prices, OutputFormat format, string? outputPath)
    {
        var rows = repricing.Models;
        var oldTotal = rows.Sum(r => r.OldTotal);
        var newTotal = rows.Sum(r => r.NewTotal);
        switch (format)
        {
            case OutputFormat.Json:
                OutputFormats.Write(console, outputPath, w => w.Write(Json(rows, oldTotal, newTotal, repricing.RecordsWithoutDetails)));
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

    private static string Json(IReadOnlyList<ModelCostChange> rows, decimal oldTotal, decimal newTotal, long recordsWithoutDetails)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("old_usd", oldTotal);
            json.WriteNumber("new_usd", newTotal);
            json.WriteNumber("delta_usd", newTotal - oldTotal);
            json.WriteNumber("records_without_details", recordsWithoutDetails);
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
