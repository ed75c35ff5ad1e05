using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads one provider's usage from a JSON value; never throws for bad input. With <paramref name="details"/> false only
/// the counts (and corrections) are read, so the <c>TokenCounts</c>-returning parsers allocate no strings.
/// </summary>
internal delegate bool UsageReader(JsonElement root, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error);

/// <summary>What a reader found: the normalized counts and, when details were asked for, what else the payload says.</summary>
internal struct UsageReading
{
    public TokenCounts Tokens;
    public string? ServiceTier;
    public string? ResponseModel;
    public Dictionary<string, long>? ServerToolCalls;
    public UsageCorrections Corrections;

    public readonly ParsedUsage ToParsed() => new()
    {
        Tokens = Tokens,
        ServiceTier = ServiceTier,
        ResponseModel = ResponseModel,
        ServerToolCalls = ServerToolCalls,
        Corrections = Corrections,
    };
}

/// <summary>
/// Strict, allocation-light readers for token-count members: absent or <c>null</c> optional members read as 0;
/// anything that is not a non-negative JSON integer is an error that names the member path.
/// </summary>
internal static class UsageJson
{
    private const int MaxQuotedLength = 40;

    /// <summary>Reads a token count. Absent or null reads as 0 unless <paramref name="required"/>.</summary>
    public static bool TryReadCount(
        JsonElement parent,
        string parentPath,
        string name,
        bool required,
        out long value,
        out bool present,
        [NotNullWhen(false)] out UsageParseError? error)
    {
        value = 0;
        error = null;
        present = parent.TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null;
        if (!present)
        {
            if (required)
            {
                var state = member.ValueKind == JsonValueKind.Null ? "is null" : "is missing";
                error = new UsageParseError($"{parentPath}.{name} is required but {state}.");
                return false;
            }

            return true;
        }

        if (member.ValueKind != JsonValueKind.Number)
        {
            error = new UsageParseError($"{parentPath}.{name} must be a non-negative integer token count, but is {Describe(member)}.");
            return false;
        }

        if (member.TryGetInt64(out value))
        {
            if (value < 0)
            {
                error = new UsageParseError($"{parentPath}.{name} must be zero or greater, but is {value}.");
                value = 0;
                return false;
            }

            return true;
        }

        var raw = member.GetRawText();
        error = raw.AsSpan().IndexOfAny(".eE") >= 0
            ? new UsageParseError($"{parentPath}.{name} must be an integer token count, but is {Quote(raw)}.")
            : new UsageParseError($"{parentPath}.{name} ({Quote(raw)}) does not fit in a 64-bit token count.");
        return false;
    }

    /// <summary>Reads an optional nested object; <paramref name="value"/> is <c>default</c> when absent or null.</summary>
    public static bool TryReadOptionalObject(
        JsonElement parent,
        string parentPath,
        string name,
        out JsonElement value,
        [NotNullWhen(false)] out UsageParseError? error)
    {
        value = default;
        error = null;
        if (!parent.TryGetProperty(name, out var member) || member.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (member.ValueKind != JsonValueKind.Object)
        {
            error = new UsageParseError($"{parentPath}.{name} must be a JSON object, but is {Describe(member)}.");
            return false;
        }

        value = member;
        return true;
    }

    /// <summary>Checks that the value handed to a parser is a JSON object.</summary>
    public static bool TryRequireObject(JsonElement root, string what, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        if (root.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        error = root.ValueKind == JsonValueKind.Undefined
            ? new UsageParseError($"The {what} JSON element holds no value (default JsonElement).")
            : new UsageParseError($"The {what} must be a JSON object, but is {Describe(root)}.");
        return false;
    }

    /// <summary>
    /// Finds a usage object that may be the root itself or a member of it (a whole response). Returns false with
    /// an error when the member exists but is null or not an object.
    /// </summary>
    public static bool TryFindMember(
        JsonElement root,
        string rootPath,
        string name,
        out JsonElement usage,
        out bool found,
        [NotNullWhen(false)] out UsageParseError? error)
    {
        usage = default;
        error = null;
        found = root.TryGetProperty(name, out var member);
        if (!found)
        {
            return true;
        }

        var path = rootPath.Length == 0 ? name : $"{rootPath}.{name}";
        if (member.ValueKind == JsonValueKind.Null)
        {
            error = new UsageParseError($"{path} is null: the payload carries no usage report.");
            return false;
        }

        if (member.ValueKind != JsonValueKind.Object)
        {
            error = new UsageParseError($"{path} must be a JSON object, but is {Describe(member)}.");
            return false;
        }

        usage = member;
        return true;
    }

    /// <summary>
    /// Reads an optional string (a model name, a service tier): null when absent, not a string, empty, longer than
    /// 256 characters or not storable (NUL, unpaired surrogate) — metadata never fails a parse, and never makes the
    /// record it goes into fail <c>Record()</c>.
    /// </summary>
    public static string? ReadMetadata(JsonElement parent, string name)
    {
        if (parent.ValueKind != JsonValueKind.Object
            || !parent.TryGetProperty(name, out var member)
            || member.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        string? value;
        try
        {
            value = member.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return string.IsNullOrWhiteSpace(value) || value.Length > 256 || UsageStringRules.IndexOfInvalid(value) >= 0 ? null : value;
    }

    /// <summary>Adds calls of a server-side tool into a per-tool map, saturating; false when the map is full.</summary>
    public static bool TryAddToolCalls(ref Dictionary<string, long>? calls, string tool, long count, string path, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        if (count == 0)
        {
            return true;
        }

        calls ??= new Dictionary<string, long>(StringComparer.Ordinal);
        if (!calls.TryGetValue(tool, out var existing) && calls.Count >= UsageRecordLimits.MaxServerToolCount)
        {
            error = new UsageParseError($"{path}: more than {UsageRecordLimits.MaxServerToolCount} kinds of server tool calls (UsageRecordLimits.MaxServerToolCount).");
            return false;
        }

        calls[tool] = SaturatingArithmetic.Add(existing, count);
        return true;
    }

    /// <summary>Turns an invariant violation reported by a <see cref="TokenCounts"/> factory into a parse error naming the member.</summary>
    public static UsageParseError Invariant(string memberPath, Exception exception) =>
        new($"{memberPath} is inconsistent with the other counts: {exception.Message}", exception);

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"a string ({Quote(RawTextOrNote(element))})",
        JsonValueKind.True or JsonValueKind.False => $"a boolean ({element.GetRawText()})",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        JsonValueKind.Number => $"the number {Quote(element.GetRawText())}",
        _ => "undefined",
    };

    // A string value holding invalid UTF-8 cannot be turned into text; the error says so instead of failing itself.
    private static string RawTextOrNote(JsonElement element)
    {
        try
        {
            return element.GetRawText();
        }
        catch (InvalidOperationException)
        {
            return "text that is not valid UTF-8";
        }
    }

    private static string Quote(string raw) =>
        raw.Length <= MaxQuotedLength ? raw : string.Concat(raw.AsSpan(0, MaxQuotedLength), "…");
}
