using System.Globalization;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>
/// Loads the genai-prices data format (<c>prices/data.json</c> of pydantic/genai-prices: an array of providers, each
/// with models, match rules and prices in USD per million tokens), so a newer file can replace or extend the
/// built-in catalog. Models the library cannot represent exactly are skipped and reported, never mis-priced.
/// </summary>
/// <remarks>
/// <para>Read per provider: <c>id</c> (normalized: <c>aws</c> → <c>aws.bedrock</c>, <c>x-ai</c> → <c>xai</c>),
/// <c>model_match</c>, <c>provider_match</c>, <c>fallback_model_providers</c>. Per model: <c>id</c> (the
/// <see cref="ModelPrice.Model"/>), <c>match</c> (<see cref="ModelPrice.Match"/>), <c>context_window</c>
/// (<see cref="ModelPrice.MaxInputTokens"/>) and <c>prices</c>: <c>input_mtok</c>, <c>cache_read_mtok</c>,
/// <c>cache_write_mtok</c>, <c>output_mtok</c>, <c>input_audio_mtok</c>, <c>cache_audio_read_mtok</c>,
/// <c>output_audio_mtok</c> (numbers or <c>{ base, tiers: [{ start, price }] }</c>: a tier applies to the whole
/// request when its input tokens exceed <c>start</c>) and <c>requests_kcount</c>. Descriptions, names, URLs and
/// extractors are ignored.</para>
/// <para>A list of conditional prices becomes dated versions and time-of-day windows with the genai-prices
/// precedence (the last active entry wins): each <c>start_date</c> starts a version
/// (<see cref="ModelPrice.EffectiveFrom"/>, midnight UTC; the earliest version applies to every earlier date, as
/// genai-prices uses the first price when none is active), and each <c>start_time</c>/<c>end_time</c> entry after
/// the version's entry becomes a <see cref="ModelPrice.TimeOfDay"/> window.</para>
/// <para>A missing <c>input_mtok</c> or <c>output_mtok</c> is a price of zero (genai-prices bills nothing for it);
/// other missing parts take the <see cref="ModelPrice"/> defaults, which are genai-prices' rules (an empty price
/// object is a free model). Skipped: price fields the library cannot count (images, video, characters, seconds),
/// models without <c>prices</c>, invalid
/// match rules or numbers, windows with tiered prices, duplicates of an earlier (provider, model).</para>
/// </remarks>
public static class GenAiPricesLoader
{
    private static readonly string[] TokenFields = ["input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok", "input_audio_mtok", "cache_audio_read_mtok", "output_audio_mtok"];

    /// <summary>Loads a genai-prices data file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The prices, provider rules and skipped models.</returns>
    /// <exception cref="FormatException">The file is not a JSON array of providers.</exception>
    public static PriceLoadResult LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Loads a genai-prices data document.</summary>
    /// <param name="utf8Json">The JSON document.</param>
    /// <returns>The prices, provider rules and skipped models.</returns>
    /// <exception cref="FormatException">The document is not a JSON array of providers.</exception>
    public static PriceLoadResult Load(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The genai-prices file is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    /// <summary>Maps a genai-prices provider id to the provider name the library uses.</summary>
    internal static string ProviderName(string id) => id switch
    {
        "aws" => "aws.bedrock",
        _ => ProviderNames.Normalize(id) ?? id,
    };

    internal static PriceLoadResult Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("A genai-prices file must be a JSON array of providers.");
        }

        var prices = new List<ModelPrice>();
        var providers = new List<PriceProvider>();
        var skipped = new List<SkippedPriceEntry>();
        var seenProviders = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var providerElement in root.EnumerateArray())
        {
            var where = $"[{index++}]";
            if (providerElement.ValueKind != JsonValueKind.Object || String(providerElement, "id") is not { } id)
            {
                throw new FormatException($"Provider {where} must be an object with an \"id\".");
            }

            var name = ProviderName(id);
            if (!seenProviders.Add(name))
            {
                skipped.Add(new SkippedPriceEntry(id, $"duplicate of an earlier provider '{name}'"));
                continue;
            }

            try
            {
                providers.Add(new PriceProvider
                {
                    Name = name,
                    ModelMatch = providerElement.TryGetProperty("model_match", out var modelMatch) ? ReadMatch(modelMatch) : null,
                    ProviderMatch = providerElement.TryGetProperty("provider_match", out var providerMatch) ? ReadMatch(providerMatch) : null,
                    Fallbacks = providerElement.TryGetProperty("fallback_model_providers", out var fallbacks) && fallbacks.ValueKind == JsonValueKind.Array
                        ? [.. fallbacks.EnumerateArray().Select(f => f.GetString()).OfType<string>().Select(ProviderName)]
                        : [],
                });
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw new FormatException($"Provider '{id}': {ex.Message}", ex);
            }

            if (!providerElement.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var seenModels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var model in models.EnumerateArray())
            {
                var modelId = model.ValueKind == JsonValueKind.Object ? String(model, "id") : null;
                var key = $"{id}/{modelId ?? "?"}";
                if (modelId is null)
                {
                    skipped.Add(new SkippedPriceEntry(key, "a model needs an \"id\""));
                    continue;
                }

                if (!seenModels.Add(modelId))
                {
                    skipped.Add(new SkippedPriceEntry(key, $"duplicate of an earlier model '{modelId}' from '{id}'"));
                    continue;
                }

                try
                {
                    prices.AddRange(ReadModel(name, modelId, model));
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    skipped.Add(new SkippedPriceEntry(key, ex.Message));
                }
            }
        }

        return new PriceLoadResult(prices, providers, skipped, nonTextPricesIgnored: 0);
    }

    private static List<ModelPrice> ReadModel(string provider, string modelId, JsonElement model)
    {
        var match = model.TryGetProperty("match", out var matchElement) ? ReadMatch(matchElement) : null;
        long? contextWindow = model.TryGetProperty("context_window", out var window) && window.ValueKind == JsonValueKind.Number && window.TryGetInt64(out var w) && w > 0 ? w : null;
        if (!model.TryGetProperty("prices", out var pricesElement))
        {
            throw new FormatException("lists no prices");
        }

        var versions = new List<ModelPrice>();
        if (pricesElement.ValueKind == JsonValueKind.Object)
        {
            versions.Add(Price(provider, modelId, match, contextWindow, ReadParts(pricesElement), null, []));
            return versions;
        }

        if (pricesElement.ValueKind != JsonValueKind.Array || pricesElement.GetArrayLength() == 0)
        {
            throw new FormatException("\"prices\" must be an object or a non-empty array of conditional prices");
        }

        // Each entry: (start date or null, time window or null, parts).
        var entries = new List<(DateTimeOffset? Date, (TimeOnly Start, TimeOnly End)? Window, Parts Parts)>();
        foreach (var conditional in pricesElement.EnumerateArray())
        {
            if (conditional.ValueKind != JsonValueKind.Object || !conditional.TryGetProperty("prices", out var parts) || parts.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("each conditional price needs a \"prices\" object");
            }

            DateTimeOffset? date = null;
            (TimeOnly, TimeOnly)? windowTimes = null;
            if (conditional.TryGetProperty("constraint", out var constraint) && constraint.ValueKind == JsonValueKind.Object)
            {
                if (String(constraint, "start_date") is { } startDate)
                {
                    date = DateTimeOffset.TryParseExact(startDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
                        ? d
                        : throw new FormatException($"start_date '{startDate}' is not a yyyy-MM-dd date");
                }
                else if (String(constraint, "start_time") is { } startTime && String(constraint, "end_time") is { } endTime)
                {
                    windowTimes = (Time(startTime), Time(endTime));
                }
                else
                {
                    throw new FormatException("unrecognized price constraint (expected start_date, or start_time and end_time)");
                }
            }

            entries.Add((date, windowTimes, ReadParts(parts)));
        }

        // Dated versions with the genai-prices precedence: at a moment, the last entry whose constraint holds wins.
        var dates = entries.Where(e => e.Date is not null).Select(e => e.Date!.Value).Distinct().Order().ToList();
        var boundaries = new List<DateTimeOffset?> { null };
        boundaries.AddRange(dates.Select(d => (DateTimeOffset?)d));
        (int Base, string Windows)? previous = null;
        foreach (var boundary in boundaries)
        {
            var k = -1;
            for (var i = 0; i < entries.Count; i++)
            {
                if (entries[i].Window is null && (entries[i].Date is null || (boundary is { } b && entries[i].Date <= b)))
                {
                    k = i;
                }
            }

            // No entry active (all dated, before the first date): genai-prices uses the first price.
            if (k < 0)
            {
                k = 0;
            }

            var windows = new List<TimeOfDayPrice>();
            for (var i = entries.Count - 1; i > k; i--)
            {
                if (entries[i].Window is { } times)
                {
                    if (entries[i].Parts.IsTiered)
                    {
                        throw new FormatException("a time-of-day price with tiered prices cannot be represented");
                    }

                    windows.Add(new TimeOfDayPrice { Start = times.Start, End = times.End, Rates = entries[i].Parts.BaseRates() });
                }
            }

            var signature = (k, string.Join(",", windows.Select(x => x.Start.ToString("O", CultureInfo.InvariantCulture))));
            if (previous == signature)
            {
                continue;
            }

            previous = signature;
            versions.Add(Price(provider, modelId, match, contextWindow, entries[k].Parts, versions.Count == 0 ? null : boundary, windows));
        }

        return versions;
    }

    private static ModelPrice Price(string provider, string modelId, NameMatch? match, long? contextWindow, Parts parts, DateTimeOffset? effectiveFrom, List<TimeOfDayPrice> windows)
    {
        var rates = parts.BaseRates();
        var tiers = parts.Tiers();
        return new ModelPrice
        {
            Provider = provider,
            Model = modelId,
            Match = match,
            MaxInputTokens = contextWindow,
            EffectiveFrom = effectiveFrom,
            Input = rates.Input,
            CachedInput = rates.CachedInput,
            CacheWrite = rates.CacheWrite,
            Output = rates.Output,
            InputAudio = rates.InputAudio,
            CachedInputAudio = rates.CachedInputAudio,
            OutputAudio = rates.OutputAudio,
            PerThousandRequests = parts.RequestsKCount,
            LongContext = tiers.Count > 0 ? tiers[0] : null,
            AdditionalTiers = tiers.Count > 1 ? tiers.GetRange(1, tiers.Count - 1) : [],
            TimeOfDay = windows,
        };
    }

    private static Parts ReadParts(JsonElement prices)
    {
        var parts = new Parts();
        foreach (var field in prices.EnumerateObject())
        {
            if (field.Name == "requests_kcount")
            {
                parts.RequestsKCount = NonNegative(field.Value, field.Name);
                continue;
            }

            if (Array.IndexOf(TokenFields, field.Name) < 0)
            {
                if (field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetDecimal(out var zero) && zero == 0)
                {
                    continue;
                }

                throw new FormatException($"prices '{field.Name}', which token counts cannot tell apart");
            }

            if (field.Value.ValueKind == JsonValueKind.Object)
            {
                var baseValue = field.Value.TryGetProperty("base", out var b) ? NonNegative(b, $"{field.Name}.base") : throw new FormatException($"'{field.Name}' tiers need a \"base\" price");
                var tiers = new List<(long Start, decimal Price)>();
                if (field.Value.TryGetProperty("tiers", out var tierArray) && tierArray.ValueKind == JsonValueKind.Array)
                {
                    foreach (var tier in tierArray.EnumerateArray())
                    {
                        if (!tier.TryGetProperty("start", out var start) || start.ValueKind != JsonValueKind.Number || !start.TryGetInt64(out var s) || s <= 0
                            || !tier.TryGetProperty("price", out var price))
                        {
                            throw new FormatException($"a tier of '{field.Name}' needs a positive whole \"start\" and a \"price\"");
                        }

                        tiers.Add((s, NonNegative(price, $"{field.Name}.tiers.price")));
                    }
                }

                tiers.Sort((x, y) => x.Start.CompareTo(y.Start));
                parts.Fields[field.Name] = (baseValue, tiers);
            }
            else
            {
                parts.Fields[field.Name] = (NonNegative(field.Value, field.Name), []);
            }
        }

        // An empty price object is a free model (genai-prices bills it nothing): every price is zero.
        return parts;
    }

    private static decimal NonNegative(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var d))
        {
            throw new FormatException($"'{name}' is not a number");
        }

        return d < 0 ? throw new FormatException($"'{name}' is negative") : d;
    }

    private static TimeOnly Time(string text)
    {
        var trimmed = text.EndsWith('Z') ? text[..^1] : text;
        return TimeOnly.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new FormatException($"'{text}' is not a time of day (HH:mm:ss, UTC)");
    }

    internal static NameMatch ReadMatch(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a match rule must be an object such as {\"equals\": \"gpt-4o\"}");
        }

        using var properties = element.EnumerateObject();
        if (!properties.MoveNext())
        {
            throw new FormatException("a match rule must have one clause");
        }

        var clause = properties.Current;
        return clause.Name switch
        {
            "equals" => NameMatch.EqualTo(ClauseText(clause)),
            "starts_with" => NameMatch.StartsWith(ClauseText(clause)),
            "ends_with" => NameMatch.EndsWith(ClauseText(clause)),
            "contains" => NameMatch.Contains(ClauseText(clause)),
            "regex" => NameMatch.Regex(ClauseText(clause)),
            "or" => NameMatch.Or(Clauses(clause)),
            "and" => NameMatch.And(Clauses(clause)),
            _ => throw new FormatException($"unrecognized match clause '{clause.Name}'"),
        };
    }

    private static string ClauseText(JsonProperty clause) =>
        clause.Value.ValueKind == JsonValueKind.String && clause.Value.GetString() is { Length: > 0 } text
            ? text
            : throw new FormatException($"the '{clause.Name}' clause needs a non-empty string");

    private static NameMatch[] Clauses(JsonProperty clause) =>
        clause.Value.ValueKind == JsonValueKind.Array
            ? [.. clause.Value.EnumerateArray().Select(ReadMatch)]
            : throw new FormatException($"the '{clause.Name}' clause needs an array of clauses");

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()) ? value.GetString() : null;

    /// <summary>The price fields of one genai-prices price object: each a base price and its tiers (start, price).</summary>
    private sealed class Parts
    {
        public Dictionary<string, (decimal Base, List<(long Start, decimal Price)> Tiers)> Fields { get; } = new(StringComparer.Ordinal);

        public decimal? RequestsKCount { get; set; }

        public bool IsTiered => Fields.Values.Any(f => f.Tiers.Count > 0);

        public TokenRates BaseRates() => RatesAt(0);

        /// <summary>Whole-request tiers: one per distinct start, each field at its price for inputs just above it.</summary>
        public List<PriceTier> Tiers() =>
            [.. Fields.Values.SelectMany(f => f.Tiers).Select(t => t.Start).Distinct().Order().Select(start => new PriceTier { AboveInputTokens = start, Rates = RatesAt(start) })];

        private TokenRates RatesAt(long start) => new()
        {
            Input = Part("input_mtok", start) ?? 0m,
            CachedInput = Part("cache_read_mtok", start),
            CacheWrite = Part("cache_write_mtok", start),
            Output = Part("output_mtok", start) ?? 0m,
            InputAudio = Part("input_audio_mtok", start),
            CachedInputAudio = Part("cache_audio_read_mtok", start),
            OutputAudio = Part("output_audio_mtok", start),
        };

        private decimal? Part(string name, long start)
        {
            if (!Fields.TryGetValue(name, out var field))
            {
                return null;
            }

            var price = field.Base;
            foreach (var tier in field.Tiers)
            {
                if (tier.Start <= start)
                {
                    price = tier.Price;
                }
            }

            return price;
        }
    }
}
