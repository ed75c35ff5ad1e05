namespace TokenAccounting.Tool.Prices;

/// <summary>The price-file formats <c>--prices</c> reads.</summary>
internal enum PriceFileFormat
{
    /// <summary>Chosen from the file: LiteLLM's map of model names to <c>input_cost_per_token</c> etc.</summary>
    Auto,

    /// <summary>LiteLLM's <c>model_prices_and_context_window.json</c>.</summary>
    LiteLlm,

    /// <summary>pydantic's genai-prices data (a list of providers with their models).</summary>
    GenAiPrices,
}

/// <summary>A loaded price file: the catalog and what was skipped, to warn about.</summary>
internal sealed record LoadedPrices(IPriceCatalog Catalog, string Description, IReadOnlyList<string> Warnings);

/// <summary>
/// Loads <c>--prices</c> files: LiteLLM's JSON object or genai-prices' JSON array, told apart by the first character
/// (<see cref="Detect"/>) unless <c>--prices-format</c> names one. Every error names the file.
/// </summary>
internal static class PriceFiles
{
    public static PriceFileFormat ParseFormat(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "auto" => PriceFileFormat.Auto,
        "litellm" => PriceFileFormat.LiteLlm,
        "genai-prices" or "genai_prices" => PriceFileFormat.GenAiPrices,
        _ => throw new ToolException($"--prices-format: \"{value}\" is not a price-file format; use auto, litellm or genai-prices.", ExitCodes.Usage),
    };

    public static LoadedPrices Load(string path, PriceFileFormat format)
    {
        if (!File.Exists(path))
        {
            throw new ToolException($"{path}: no such price file.");
        }

        if (format == PriceFileFormat.Auto)
        {
            format = Detect(path);
        }

        return format switch
        {
            PriceFileFormat.LiteLlm => LoadLiteLlm(path),
            _ => LoadGenAiPrices(path),
        };
    }

    /// <summary>LiteLLM's file is one JSON object keyed by model; genai-prices is a JSON array of providers.</summary>
    private static PriceFileFormat Detect(string path)
    {
        using var stream = File.OpenRead(path);
        int b;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF)
        {
        }

        return b switch
        {
            '{' => PriceFileFormat.LiteLlm,
            '[' => PriceFileFormat.GenAiPrices,
            _ => throw new ToolException($"{path}: not a price file: expected a LiteLLM JSON object or a genai-prices JSON array."),
        };
    }

    private static LoadedPrices LoadGenAiPrices(string path)
    {
        PriceLoadResult result;
        try
        {
            result = GenAiPricesLoader.LoadFile(path);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ToolException($"{path}: not a valid genai-prices file: {e.Message}", inner: e);
        }

        var warnings = new List<string>();
        if (result.Skipped.Count > 0)
        {
            warnings.Add($"{path}: {result.Skipped.Count} model{(result.Skipped.Count == 1 ? "" : "s")} skipped (first: {result.Skipped[0]}).");
        }

        var models = result.Prices.Select(p => (p.Provider, p.Model)).Distinct().Count();
        return new LoadedPrices(result.ToCatalog(), $"genai-prices {path} ({models} models)", warnings);
    }

    private static LoadedPrices LoadLiteLlm(string path)
    {
        PriceLoadResult result;
        try
        {
            result = LiteLlmPriceLoader.LoadFile(path);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ToolException($"{path}: not a valid LiteLLM price file: {e.Message}", inner: e);
        }

        var warnings = new List<string>();
        if (result.Skipped.Count > 0)
        {
            warnings.Add($"{path}: {result.Skipped.Count} entr{(result.Skipped.Count == 1 ? "y" : "ies")} skipped (first: {result.Skipped[0]}).");
        }

        return new LoadedPrices(result.ToCatalog(), $"LiteLLM prices {path} ({result.Prices.Count} models)", warnings);
    }
}
