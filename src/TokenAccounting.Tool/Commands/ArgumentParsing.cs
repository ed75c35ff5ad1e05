using System.Globalization;
using System.Text.Json;

namespace TokenAccounting.Tool.Commands;

/// <summary>Turns option text into values, with errors that name the option and say what is accepted.</summary>
internal static class ArgumentParsing
{
    public const string DateHelp = "yyyy-MM-dd (a UTC day) or an ISO 8601 instant";

    /// <summary>
    /// The range <c>[from, to)</c>: <c>--to</c> given as a day is the last day included; given as an instant it is the
    /// exclusive end. Without <c>--to</c>, the end of today (UTC); without <c>--from</c>, <paramref name="defaultDays"/>
    /// days before the end (or the start of the ledger when <paramref name="defaultDays"/> is null).
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Range(string? from, string? to, DateTimeOffset now, int? defaultDays)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var end = to is null ? today.AddDays(1) : Instant(to, "--to", endOfDay: true);
        var start = from is null
            ? defaultDays is { } days ? end.AddDays(-days) : DateTimeOffset.MinValue
            : Instant(from, "--from", endOfDay: false);
        if (end <= start)
        {
            throw new ToolException($"--from ({start:O}) must be before --to ({end:O}); --to as a day is the last day included.", ExitCodes.Usage);
        }

        return (start, end);
    }

    private static DateTimeOffset Instant(string text, string option, bool endOfDay)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var midnight = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? midnight.AddDays(1) : midnight;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        throw new ToolException($"{option}: \"{text}\" is not a date; use {DateHelp}.", ExitCodes.Usage);
    }

    public static IReadOnlyList<UsageDimension> Dimensions(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var dimensions = new List<UsageDimension>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            UsageDimension dimension = part.ToLowerInvariant() switch
            {
                "date" or "day" => UsageDimension.Date,
                "model" => UsageDimension.Model,
                "provider" => UsageDimension.Provider,
                "operation" or "op" => UsageDimension.Operation,
                "user" => UsageDimension.User,
                "tenant" => UsageDimension.Tenant,
                "api-key" or "apikey" or "key" => UsageDimension.ApiKey,
                _ => throw new ToolException($"--by: \"{part}\" is not a dimension; use any of date, model, provider, operation, user, tenant, api-key (comma-separated).", ExitCodes.Usage),
            };
            if (dimensions.Contains(dimension))
            {
                throw new ToolException($"--by: \"{part}\" is given twice.", ExitCodes.Usage);
            }

            dimensions.Add(dimension);
        }

        return dimensions;
    }

    /// <summary>
    /// Budgets from a JSON file: an array of <c>{ "name", "dimension" (global|user|tenant|api-key), "value"?, "unit"
    /// (usd|tokens), "limit", "window" (day|month|lifetime|rolling:&lt;hours&gt;h), "warningThreshold"? }</c>.
    /// </summary>
    public static IReadOnlyList<BudgetPolicy> Budgets(string? path)
    {
        if (path is null)
        {
            return [];
        }

        if (!File.Exists(path))
        {
            throw new ToolException($"{path}: no such budgets file.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ToolException($"{path}: a budgets file is a JSON array of policies.");
            }

            var policies = new List<BudgetPolicy>();
            var index = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                policies.Add(Policy(item, $"{path}: policy {index}"));
                index++;
            }

            return policies;
        }
        catch (JsonException e)
        {
            throw new ToolException($"{path}: not valid JSON: {e.Message}", inner: e);
        }
    }

    private static BudgetPolicy Policy(JsonElement item, string where)
    {
        string? Text(string name) => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var name = Text("name") ?? throw new ToolException($"{where}: \"name\" is required.");
        var dimension = (Text("dimension") ?? "global").ToLowerInvariant() switch
        {
            "global" => BudgetDimension.Global,
            "user" => BudgetDimension.User,
            "tenant" => BudgetDimension.Tenant,
            "api-key" or "apikey" => BudgetDimension.ApiKey,
            var other => throw new ToolException($"{where}: \"dimension\" \"{other}\" is not one of global, user, tenant, api-key."),
        };
        var unit = (Text("unit") ?? "usd").ToLowerInvariant() switch
        {
            "usd" => BudgetUnit.Usd,
            "tokens" => BudgetUnit.Tokens,
            var other => throw new ToolException($"{where}: \"unit\" \"{other}\" is not usd or tokens."),
        };
        if (!item.TryGetProperty("limit", out var limitElement) || !limitElement.TryGetDecimal(out var limit) || limit <= 0)
        {
            throw new ToolException($"{where}: \"limit\" must be a number above zero.");
        }

        var windowText = (Text("window") ?? "day").ToLowerInvariant();
        BudgetWindow window;
        if (windowText == "day")
        {
            window = BudgetWindow.UtcDay;
        }
        else if (windowText == "month")
        {
            window = BudgetWindow.UtcMonth;
        }
        else if (windowText == "lifetime")
        {
            window = BudgetWindow.Lifetime;
        }
        else if (windowText.StartsWith("rolling:", StringComparison.Ordinal) && windowText.EndsWith('h')
            && double.TryParse(windowText["rolling:".Length..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hours) && hours > 0)
        {
            window = BudgetWindow.Rolling(TimeSpan.FromHours(hours));
        }
        else
        {
            throw new ToolException($"{where}: \"window\" \"{windowText}\" is not day, month, lifetime or rolling:<hours>h.");
        }

        double? threshold = item.TryGetProperty("warningThreshold", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        try
        {
            return new BudgetPolicy
            {
                Name = name,
                Dimension = dimension,
                DimensionValue = Text("value"),
                Unit = unit,
                Limit = limit,
                Window = window,
                WarningThreshold = threshold,
            };
        }
        catch (ArgumentException e)
        {
            throw new ToolException($"{where}: {e.Message}", inner: e);
        }
    }
}
