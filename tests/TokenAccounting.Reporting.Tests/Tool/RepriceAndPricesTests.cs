using System.Globalization;
using System.Text.Json;
using TokenAccounting.Reporting.Tests.Infrastructure;
using TokenAccounting.Sqlite;

namespace TokenAccounting.Reporting.Tests.Tool;

public sealed class RepriceAndPricesTests(GeneratedLedgers ledgers) : IClassFixture<GeneratedLedgers>
{
    /// <summary>A LiteLLM file with gpt-4o at $5 in / $20 out per million (no cache rate) and nothing else.</summary>
    private static string WriteLiteLlm(TempFolder folder)
    {
        var path = folder.File("prices.json");
        File.WriteAllText(path, """
            { "gpt-4o": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 0.000005, "output_cost_per_token": 0.00002 } }
            """);
        return path;
    }

    private static decimal NewCost(UsageRecord r) => r.Tokens.Input * 5m / 1_000_000m + r.Tokens.Output * 20m / 1_000_000m;

    [Theory]
    [InlineData("jsonlines")]
    [InlineData("sqlite")]
    public async Task Reprice_LiteLlmFile_GivesOldNewAndDeltaPerModel(string kind)
    {
        using var folder = new TempFolder();
        var ledger = kind == "sqlite" ? ledgers.SqlitePath : ledgers.JsonLinesFolder;

        var run = await ToolRun.InProcessAsync(["reprice", ledger, "--prices", WriteLiteLlm(folder), "--format", "json"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var root = JsonDocument.Parse(run.RawOutput).RootElement;
        var gpt4o = ledgers.Usage.Records.Where(r => r.Model == "gpt-4o").ToList();
        var row = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o");
        row.GetProperty("records").GetInt64().ShouldBe(gpt4o.Count);
        row.GetProperty("old_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(gpt4o));
        row.GetProperty("new_usd").GetDecimal().ShouldBe(gpt4o.Sum(NewCost));
        row.GetProperty("delta_usd").GetDecimal().ShouldBe(gpt4o.Sum(NewCost) - GeneratedUsage.Cost(gpt4o));
        var mini = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o-mini");
        mini.GetProperty("unpriced_after").GetInt64().ShouldBe(ledgers.Usage.Records.Count(r => r.Model == "gpt-4o-mini"));
        root.GetProperty("old_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(ledgers.Usage.Records));
    }

    [Theory]
    [InlineData("jsonlines")]
    [InlineData("sqlite")]
    public async Task Reprice_LongContextRecord_IsRepricedRecordByRecordAtItsTier(string kind)
    {
        // One call over the new price's 200k long-context threshold and one under it: record by record the long one is
        // charged the tier's rates; the daily totals (301,000 input tokens in one sum) could only be charged base rates.
        using var folder = new TempFolder();
        var at = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        var records = UsageRepricer.WithCost(
            [
                new UsageRecord { Id = "long", Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(300_000, 1_000), CompletedAt = at },
                new UsageRecord { Id = "short", Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1_000, 500), CompletedAt = at.AddMinutes(1) },
            ],
            PriceCatalog.BuiltIn).ToArray();
        var batch = LedgerUsage.Batch("long-context", records);
        string ledger;
        if (kind == "sqlite")
        {
            ledger = folder.File("usage.db");
            using var sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={ledger};Pooling=False" });
            await sqlite.WriteAsync(batch, CancellationToken.None);
        }
        else
        {
            ledger = folder.File("usage-ledger");
            await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(ledger, "usage-{date}.jsonl") });
            await sink.WriteAsync(batch, CancellationToken.None);
        }

        var prices = folder.File("prices.json");
        File.WriteAllText(prices, """
            { "gpt-4o": { "litellm_provider": "openai", "mode": "chat",
                          "input_cost_per_token": 0.000005, "output_cost_per_token": 0.00002,
                          "input_cost_per_token_above_200k_tokens": 0.00001, "output_cost_per_token_above_200k_tokens": 0.00004 } }
            """);

        var run = await ToolRun.InProcessAsync(["reprice", ledger, "--prices", prices, "--format", "json"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var root = JsonDocument.Parse(run.RawOutput).RootElement;
        root.GetProperty("records_without_details").GetInt64().ShouldBe(0);
        var row = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o");
        row.GetProperty("records").GetInt64().ShouldBe(2);
        row.GetProperty("old_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(records));
        var expected = (300_000 * 10m / 1_000_000m) + (1_000 * 40m / 1_000_000m) + (1_000 * 5m / 1_000_000m) + (500 * 20m / 1_000_000m);
        row.GetProperty("new_usd").GetDecimal().ShouldBe(expected);
    }

    [Fact]
    public async Task Reprice_Table_ShowsTheTotalRow()
    {
        using var folder = new TempFolder();

        var run = await ToolRun.InProcessAsync(["reprice", ledgers.JsonLinesFolder, "--prices", WriteLiteLlm(folder)]);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Output.ShouldContain("Re-priced usage");
        run.Output.ShouldContain("total");
        run.Output.ShouldContain(GeneratedUsage.Cost(ledgers.Usage.Records).ToString("0.############################", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Reprice_WithoutPrices_ExitsTwo()
    {
        var run = await ToolRun.InProcessAsync(["reprice", ledgers.JsonLinesFolder]);

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldContain("--prices");
    }

    [Fact]
    public async Task Reprice_MissingPriceFile_ExitsOneNamingIt()
    {
        var run = await ToolRun.InProcessAsync(["reprice", ledgers.JsonLinesFolder, "--prices", "nowhere.json"]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("nowhere.json: no such price file");
    }

    /// <summary>The same prices as <see cref="WriteLiteLlm"/> in genai-prices' shape: a JSON array of providers.</summary>
    private static string WriteGenAiPrices(TempFolder folder)
    {
        var path = folder.File("data.json");
        File.WriteAllText(path, """
            [
              {
                "id": "openai",
                "name": "OpenAI",
                "api_pattern": "https://api\\.openai\\.com",
                "models": [
                  { "id": "gpt-4o", "match": { "equals": "gpt-4o" }, "prices": { "input_mtok": 5, "output_mtok": 20 } }
                ]
              }
            ]
            """);
        return path;
    }

    [Theory]
    [InlineData("jsonlines")]
    [InlineData("sqlite")]
    public async Task Reprice_GenAiPricesFile_IsDetectedAndGivesOldNewAndDeltaPerModel(string kind)
    {
        using var folder = new TempFolder();
        var ledger = kind == "sqlite" ? ledgers.SqlitePath : ledgers.JsonLinesFolder;
        var path = WriteGenAiPrices(folder);

        var run = await ToolRun.InProcessAsync(["reprice", ledger, "--prices", path, "--format", "json"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var root = JsonDocument.Parse(run.RawOutput).RootElement;
        var gpt4o = ledgers.Usage.Records.Where(r => r.Model == "gpt-4o").ToList();
        var row = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o");
        row.GetProperty("records").GetInt64().ShouldBe(gpt4o.Count);
        row.GetProperty("old_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(gpt4o));
        row.GetProperty("new_usd").GetDecimal().ShouldBe(gpt4o.Sum(NewCost));
        row.GetProperty("delta_usd").GetDecimal().ShouldBe(gpt4o.Sum(NewCost) - GeneratedUsage.Cost(gpt4o));
        var mini = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o-mini");
        mini.GetProperty("unpriced_after").GetInt64().ShouldBe(ledgers.Usage.Records.Count(r => r.Model == "gpt-4o-mini"));
    }

    [Fact]
    public async Task Reprice_GenAiPricesFileGivenAsLiteLlm_ExitsOneNamingTheFile()
    {
        using var folder = new TempFolder();
        var path = WriteGenAiPrices(folder);

        var run = await ToolRun.InProcessAsync(["reprice", ledgers.JsonLinesFolder, "--prices", path, "--prices-format", "litellm"]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain(path + ": not a valid LiteLLM price file");
    }

    [Fact]
    public async Task Reprice_MalformedGenAiPricesFile_ExitsOneNamingTheFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("broken.json");
        File.WriteAllText(path, """[ { "id": "openai", "models": [ { "id": "gpt-4o", "prices": """);

        var run = await ToolRun.InProcessAsync(["reprice", ledgers.JsonLinesFolder, "--prices", path]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain(path + ": not a valid genai-prices file");
    }

    [Fact]
    public async Task Reprice_FileOfNeitherFormat_ExitsOneNamingTheFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("prices.csv");
        File.WriteAllText(path, "model,input,output\ngpt-4o,5,20\n");

        var run = await ToolRun.InProcessAsync(["reprice", ledgers.JsonLinesFolder, "--prices", path]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain(path + ": not a price file: expected a LiteLLM JSON object or a genai-prices JSON array");
    }

    [Fact]
    public async Task Prices_KnownModel_ShowsTheEntryInEffectWithItsRates()
    {
        var run = await ToolRun.InProcessAsync(["prices", "gpt-4o", "--provider", "openai"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var price = PriceCatalog.BuiltIn.FindPrice("openai", "gpt-4o", ToolRun.Now)!;
        run.Output.ShouldContain("gpt-4o");
        run.Output.ShouldContain("now");
        run.Output.ShouldContain(price.Input.ToString("0.############################", CultureInfo.InvariantCulture));
        run.Output.ShouldContain(price.Output.ToString("0.############################", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Prices_UnknownModel_ExitsOne()
    {
        var run = await ToolRun.InProcessAsync(["prices", "no-such-model-xyz"]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("No price for model \"no-such-model-xyz\"");
    }
}
