// Regenerates the built-in catalog's genai-prices part from a genai-prices data file (prices/data.json of
// pydantic/genai-prices, MIT). Keeps only what pricing needs — provider and model ids, match rules, context
// windows, fallbacks and prices — and drops descriptions, names, URLs and usage extractors. Then loads the result
// with the library's own GenAiPricesLoader and reports what it holds and what it skips.
//
//   dotnet run --project tools/GenAiPricesImport -- <data.json> [--as-of yyyy-MM-dd] [--source "text"] [--out path]
//
// --as-of and --source default to the "genai-prices.SOURCE" file next to the data file, whose first line reads
// "<repo> <path> at commit <sha> <yyyy-MM-dd>". --out defaults to
// src/TokenAccounting/Pricing/Resources/genai-prices.json under the current directory.
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TokenAccounting;

var positional = new List<string>();
string? asOf = null, source = null, output = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--as-of" when i + 1 < args.Length: asOf = args[++i]; break;
        case "--source" when i + 1 < args.Length: source = args[++i]; break;
        case "--out" when i + 1 < args.Length: output = args[++i]; break;
        case "-h" or "--help":
            Console.WriteLine("usage: GenAiPricesImport <data.json> [--as-of yyyy-MM-dd] [--source text] [--out path]");
            return 0;
        default: positional.Add(args[i]); break;
    }
}

if (positional.Count != 1 || !File.Exists(positional[0]))
{
    Console.Error.WriteLine("usage: GenAiPricesImport <data.json> [--as-of yyyy-MM-dd] [--source text] [--out path] (the data file must exist)");
    return 2;
}

var dataPath = positional[0];
var sourceFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataPath))!, "genai-prices.SOURCE");
if ((asOf is null || source is null) && File.Exists(sourceFile))
{
    var line = File.ReadLines(sourceFile).FirstOrDefault()?.Trim() ?? string.Empty;
    source ??= line;
    asOf ??= line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(t => DateOnly.TryParseExact(t, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
}

if (asOf is null || !DateOnly.TryParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
{
    Console.Error.WriteLine("The data's date is unknown: pass --as-of yyyy-MM-dd (the date of the genai-prices commit).");
    return 2;
}

output ??= Path.Combine("src", "TokenAccounting", "Pricing", "Resources", "genai-prices.json");

var providers = JsonNode.Parse(File.ReadAllText(dataPath))?.AsArray() ?? throw new InvalidOperationException("The data file is not a JSON array.");
string[] providerKeys = ["id", "model_match", "provider_match", "fallback_model_providers"];
string[] modelKeys = ["id", "match", "context_window", "prices"];
var kept = new JsonArray();
foreach (var provider in providers)
{
    var copy = new JsonObject();
    foreach (var key in providerKeys)
    {
        if (provider![key] is { } value)
        {
            copy[key] = value.DeepClone();
        }
    }

    var models = new JsonArray();
    foreach (var model in provider!["models"]?.AsArray() ?? [])
    {
        var modelCopy = new JsonObject();
        foreach (var key in modelKeys)
        {
            if (model![key] is { } value)
            {
                modelCopy[key] = value.DeepClone();
            }
        }

        models.Add(modelCopy);
    }

    copy["models"] = models;
    kept.Add(copy);
}

var document = new JsonObject
{
    ["source"] = source ?? "pydantic/genai-prices prices/data.json",
    ["license"] = "MIT, Copyright (c) Pydantic Services Inc. 2025 to present; see THIRD-PARTY-NOTICES.md",
    ["asOf"] = asOf,
    ["providers"] = kept,
};

var json = document.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, json + "\n");

using var check = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(kept.ToJsonString()));
var loaded = GenAiPricesLoader.Load(check);
Console.WriteLine($"wrote {output}: {json.Length:N0} bytes, as of {asOf}");
Console.WriteLine($"{loaded.Prices.Select(p => (p.Provider, p.Model)).Distinct().Count():N0} models ({loaded.Prices.Count:N0} dated prices) from {loaded.Prices.Select(p => p.Provider).Distinct().Count()} providers; {loaded.Skipped.Count} skipped");
foreach (var skipped in loaded.Skipped)
{
    Console.WriteLine($"  skipped {skipped.Name}: {skipped.Reason}");
}

return 0;
