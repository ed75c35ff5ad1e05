namespace TokenAccounting;

/// <summary>The documented model-name normalizations, tried in order after the exact (case-insensitive) name.</summary>
internal static class ModelNames
{
    /// <summary>
    /// Strips provider-style prefixes: <c>openai/gpt-4o</c> → <c>gpt-4o</c>, <c>models/gemini-2.5-pro</c> →
    /// <c>gemini-2.5-pro</c>; returns the first prefix segment as <paramref name="prefix"/>.
    /// </summary>
    public static string? StripPrefix(string model, out string? prefix)
    {
        var slash = model.LastIndexOf('/');
        if (slash < 0 || slash == model.Length - 1)
        {
            prefix = null;
            return null;
        }

        var firstSlash = model.IndexOf('/', StringComparison.Ordinal);
        prefix = model[..firstSlash];
        return model[(slash + 1)..];
    }

    /// <summary>
    /// Strips a dated-snapshot suffix: <c>-YYYY-MM-DD</c> (<c>gpt-4o-2024-08-06</c>), <c>-YYYYMMDD</c>
    /// (<c>claude-sonnet-4-20250514</c>) or <c>@YYYYMMDD</c> (Vertex AI's <c>claude-sonnet-4@20250514</c>).
    /// </summary>
    public static string? StripDate(string model)
    {
        // -YYYY-MM-DD
        if (model.Length > 11 && model[^11] == '-' && IsDigits(model, model.Length - 10, 4) && model[^6] == '-' && IsDigits(model, model.Length - 5, 2) && model[^3] == '-' && IsDigits(model, model.Length - 2, 2)
            && IsPlausibleDate(model.AsSpan(model.Length - 10, 4), model.AsSpan(model.Length - 5, 2), model.AsSpan(model.Length - 2, 2)))
        {
            return model[..^11];
        }

        // -YYYYMMDD or @YYYYMMDD
        if (model.Length > 9 && model[^9] is '-' or '@' && IsDigits(model, model.Length - 8, 8)
            && IsPlausibleDate(model.AsSpan(model.Length - 8, 4), model.AsSpan(model.Length - 4, 2), model.AsSpan(model.Length - 2, 2)))
        {
            return model[..^9];
        }

        return null;
    }

    private static bool IsDigits(string s, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPlausibleDate(ReadOnlySpan<char> year, ReadOnlySpan<char> month, ReadOnlySpan<char> day)
    {
        var y = int.Parse(year, provider: System.Globalization.CultureInfo.InvariantCulture);
        var m = int.Parse(month, provider: System.Globalization.CultureInfo.InvariantCulture);
        var d = int.Parse(day, provider: System.Globalization.CultureInfo.InvariantCulture);
        return y is >= 2020 and <= 2099 && m is >= 1 and <= 12 && d is >= 1 and <= 31;
    }
}
