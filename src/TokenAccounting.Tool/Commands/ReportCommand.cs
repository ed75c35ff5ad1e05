using System.CommandLine;
using Spectre.Console;
using TokenAccounting.Reporting;
using TokenAccounting.Tool.Ledgers;
using TokenAccounting.Tool.Prices;

namespace TokenAccounting.Tool.Commands;

/// <summary><c>tokenaccounting report &lt;ledger&gt;</c>.</summary>
internal sealed class ReportCommand(ToolConsole console, TimeProvider time, long progressThresholdBytes)
{
    public const int DefaultDays = 30;

    public Command Build()
    {
        var ledger = new Argument<string>("ledger")
        {
            Description = "The ledger: a folder of JSON-lines files (usage-ledger), one .jsonl file, a SQLite file, or with --postgres a PostgreSQL connection string.",
        };
        var postgres = new Option<bool>("--postgres") { Description = "<ledger> is a PostgreSQL connection string." };
        var from = new Option<string?>("--from") { Description = $"First day (or instant) of the report: {ArgumentParsing.DateHelp}. Default: {DefaultDays} days before --to.", HelpName = "date" };
        var to = new Option<string?>("--to") { Description = $"Last day included (yyyy-MM-dd), or an exclusive end instant. Default: today (UTC).", HelpName = "date" };
        var by = new Option<string?>("--by") { Description = "An extra breakdown, by dimensions in order, comma-separated: date, model, provider, operation, user, tenant, api-key. Example: --by user,model", HelpName = "dimensions" };
        var top = new Option<int>("--top") { Description = "Rows per breakdown; the rest are summed into one 'others' row.", DefaultValueFactory = _ => 10, HelpName = "N" };
        var format = new Option<string?>("--format") { Description = "table (default), csv, json or html (one self-contained page with charts). Default: from --out's extension, else table.", HelpName = "format" };
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file instead of stdout.", HelpName = "file" };
        var prices = new Option<string?>("--prices") { Description = "A price file (LiteLLM or genai-prices) to value cache savings with (default: the built-in catalog). Recorded costs are never changed.", HelpName = "file" };
        var pricesFormat = new Option<string?>("--prices-format") { Description = "auto (default), litellm or genai-prices.", HelpName = "format" };
        var budgets = new Option<string?>("--budgets") { Description = "A JSON file of budget policies to report status for: [{\"name\":\"acme-monthly\",\"dimension\":\"tenant\",\"value\":\"acme\",\"unit\":\"usd\",\"limit\":50,\"window\":\"month\",\"warningThreshold\":0.8}]", HelpName = "file" };
        var noCompare = new Option<bool>("--no-compare") { Description = "Skip the comparison with the previous period of the same length." };
        var command = new Command("report", "A spend report over a date range: totals, cost by day, model, provider, user, tenant, API key and operation, top N, cache share and savings, reasoning share, unpriced usage, change from the previous period, budgets.")
        {
            ledger, postgres, from, to, by, top, format, output, prices, pricesFormat, budgets, noCompare,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var topValue = parse.GetValue(top);
            if (topValue < 1)
            {
                throw new ToolException($"--top: {topValue} is not a row count; use 1 or more.", ExitCodes.Usage);
            }

            var outputPath = parse.GetValue(output);
            var outputFormat = OutputFormats.Resolve(parse.GetValue(format), outputPath, allowHtml: true);
            var (start, end) = ArgumentParsing.Range(parse.GetValue(from), parse.GetValue(to), time.GetUtcNow(), DefaultDays);
            var groupBy = ArgumentParsing.Dimensions(parse.GetValue(by));
            var policies = ArgumentParsing.Budgets(parse.GetValue(budgets));
            IPriceCatalog catalog = PriceCatalog.BuiltIn;
            if (parse.GetValue(prices) is { } pricesPath)
            {
                var loaded = PriceFiles.Load(pricesPath, PriceFiles.ParseFormat(parse.GetValue(pricesFormat)));
                loaded.Warnings.ToList().ForEach(console.Warn);
                catalog = loaded.Catalog;
            }

            var options = new SpendReportOptions(start, end)
            {
                Top = topValue,
                GroupBy = groupBy,
                Prices = catalog,
                Budgets = policies,
                CompareWithPreviousPeriod = !parse.GetValue(noCompare),
            };
            var path = parse.GetValue(ledger)!;
            using var opened = LedgerOpener.Open(path, parse.GetValue(postgres), out var jsonLines);
            var report = await ReadProgress.RunAsync(console, jsonLines, progressThresholdBytes,
                () => SpendReportBuilder.BuildAsync(opened.Query, options, time, cancellationToken).AsTask()).ConfigureAwait(false);
            Render(report, opened, outputFormat, outputPath);
            return ExitCodes.Ok;
        });
        return command;
    }

    private void Render(SpendReport report, OpenedLedger ledger, OutputFormat format, string? outputPath)
    {
        switch (format)
        {
            case OutputFormat.Table when outputPath is null:
                console.Out.MarkupLine($"[bold]{Markup.Escape(ledger.Description)}[/]");
                ConsoleTables.Write(console.Out, SpendReportTables.Create(report));
                return;
            case OutputFormat.Table:
                OutputFormats.Write(console, outputPath, w => SpendReportText.Write(report, w));
                break;
            case OutputFormat.Csv:
                OutputFormats.Write(console, outputPath, w => SpendReportCsv.Write(report, w));
                break;
            case OutputFormat.Json:
                OutputFormats.Write(console, outputPath, w => w.Write(SpendReportJson.Render(report)));
                break;
            default:
                OutputFormats.Write(console, outputPath, w => SpendReportHtml.Write(report, w));
                break;
        }

        if (outputPath is not null)
        {
            console.Out.MarkupLine($"Wrote the {format.ToString().ToLowerInvariant()} report of {Markup.Escape(ledger.Description)} to [bold]{Markup.Escape(outputPath)}[/].");
        }
    }
}
