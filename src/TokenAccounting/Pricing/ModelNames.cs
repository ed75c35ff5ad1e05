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

    private static readonly HashSet<string> Regions = new(StringComparer.OrdinalIgnoreCase) { "us", "eu", "apac", "global", "us-gov", "jp", "au", "ca", "ap", "sa", "me", "af", "il", "mx", "uk" };

    private static readonly HashSet<string> Vendors = new(StringComparer.OrdinalIgnoreCase)
    {
        "anthropic", "meta", "amazon", "mistral", "cohere", "ai21", "deepseek", "openai", "qwen", "writer", "twelvelabs", "moonshot", "moonshotai", "google", "minimax", "nvidia", "stability", "luma", "xai", "zai",
    };

    /// <summary>
    /// Strips cloud decorations: Bedrock region prefixes (<c>us.</c>, <c>eu.</c>, <c>apac.</c>, <c>global.</c>…),
    /// vendor prefixes (<c>anthropic.</c>, <c>meta.</c>, <c>amazon.</c>…), version suffixes (<c>-v1:0</c>,
    /// <c>-v2</c>, <c>:0</c>, <c>-v1:0:200k</c>) and Vertex AI version suffixes that are not dates
    /// (<c>@001</c>, <c>@latest</c>): <c>us.anthropic.claude-sonnet-4-20250514-v1:0</c> →
    /// <c>claude-sonnet-4-20250514</c>. Returns null when there is nothing to strip.
    /// </summary>
    public static string? StripCloud(string model)
    {
        var span = model.AsSpan();
        for (var pass = 0; pass < 2; pass++)
        {
            var dot = span.IndexOf('.');
            if (dot <= 0 || dot == span.Length - 1)
            {
                break;
            }

            var head = span[..dot].ToString();
            if ((pass == 0 && Regions.Contains(head)) || Vendors.Contains(head))
            {
                span = span[(dot + 1)..];
            }
        }

        // -v1:0:200k, -v1:0, -v2, :0
        var end = span.Length;
        var colonK = span.LastIndexOf(':');
        if (colonK > 0 && end - colonK > 2 && span[end - 1] == 'k' && IsDigits(span[(colonK + 1)..(end - 1)]))
        {
            end = colonK;
        }

        // A bare "-v2" is stripped only from a Bedrock id (with a region or vendor prefix): "deepseek-v3" is a model.
        var versionStart = VersionSuffixStart(span[..end], allowBare: span.Length != model.Length);
        if (versionStart > 0)
        {
            end = versionStart;
        }

        var at = span[..end].LastIndexOf('@');
        if (at > 0 && (!IsDigits(span[(at + 1)..end]) || end - at - 1 <= 3))
        {
            // @latest, @default, @001 (a Vertex version, not a @YYYYMMDD date, which StripDate handles)
            end = at;
        }

        return end == model.Length && span.Length == model.Length ? null : span[..end].ToString();
    }

    // "-v1:0", "-v2", ":0" at the end → where it starts; 0 when there is none.
    private static int VersionSuffixStart(ReadOnlySpan<char> s, bool allowBare)
    {
        var i = s.Length;
        var colon = s.LastIndexOf(':');
        if (colon > 0 && IsDigits(s[(colon + 1)..]))
        {
            i = colon;
        }
        else if (!allowBare)
        {
            return 0;
        }

        var j = i;
        while (j > 0 && char.IsAsciiDigit(s[j - 1]))
        {
            j--;
        }

        if (j < i && j >= 2 && s[j - 1] is 'v' or 'V' && s[j - 2] == '-')
        {
            return j - 2;
        }

        return i < s.Length ? i : 0;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
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
