using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// The string rules of <see cref="UsageRecordLimits"/>: valid UTF-16 without NUL, and a length limit. The common case
/// (short text without NUL or surrogates) is one vectorized search per string and no allocation.
/// </summary>
internal static class UsageStringRules
{
    /// <summary>Gets the index of the first NUL or unpaired surrogate, or -1 when the text is valid.</summary>
    public static int IndexOfInvalid(ReadOnlySpan<char> text)
    {
        // Everything from U+0001 to U+D7FF is fine; what is outside is NUL, a surrogate or U+E000 and up.
        var i = text.IndexOfAnyExceptInRange('\u0001', '\uD7FF');
        if (i < 0)
        {
            return -1;
        }

        return IndexOfInvalidSlow(text, i);
    }

    /// <summary>Checks an optional string field of a record.</summary>
    /// <exception cref="ArgumentException">The text has NUL or an unpaired surrogate, or is longer than <paramref name="maxLength"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(string? value, int maxLength, string owner, string field, string limitName)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > maxLength)
        {
            ThrowTooLong(value.Length, maxLength, owner, field, limitName);
        }

        if (IndexOfInvalid(value) is var at and >= 0)
        {
            ThrowInvalid(value, at, owner, field, field);
        }
    }

    /// <summary>Checks a string with no length limit (<see cref="UsageRecord.Text"/>).</summary>
    public static void CheckText(string? value, string owner, string field)
    {
        if (value is not null && IndexOfInvalid(value) is var at and >= 0)
        {
            ThrowInvalid(value, at, owner, field, field);
        }
    }

    /// <summary>Checks a tag set (record or scope).</summary>
    public static void CheckTags(IReadOnlyDictionary<string, string>? tags, string owner, string field)
    {
        if (tags is null || tags.Count == 0)
        {
            return;
        }

        if (tags.Count > UsageRecordLimits.MaxTagCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} has {tags.Count} tags; at most {UsageRecordLimits.MaxTagCount} are allowed (UsageRecordLimits.MaxTagCount)."),
                field);
        }

        if (tags is Dictionary<string, string> dictionary)
        {
            // The struct enumerator: no allocation.
            foreach (var (key, value) in dictionary)
            {
                CheckTag(key, value, owner, field);
            }

            return;
        }

        foreach (var (key, value) in tags)
        {
            CheckTag(key, value, owner, field);
        }
    }

    /// <summary>Checks the stage durations of a record: names, count, and no negative duration.</summary>
    public static void CheckStageDurations(IReadOnlyDictionary<string, TimeSpan>? stages, string owner, string field)
    {
        if (stages is null || stages.Count == 0)
        {
            return;
        }

        if (stages.Count > UsageRecordLimits.MaxStageDurationCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} has {stages.Count} entries; at most {UsageRecordLimits.MaxStageDurationCount} are allowed (UsageRecordLimits.MaxStageDurationCount)."),
                field);
        }

        if (stages is Dictionary<string, TimeSpan> dictionary)
        {
            // The struct enumerator: no allocation.
            foreach (var (name, duration) in dictionary)
            {
                CheckStage(name, duration, owner, field);
            }

            return;
        }

        foreach (var (name, duration) in stages)
        {
            CheckStage(name, duration, owner, field);
        }
    }

    private static void CheckStage(string name, TimeSpan duration, string owner, string field)
    {
        CheckKey(name, UsageRecordLimits.MaxStageNameLength, owner, field, "a stage name", "UsageRecordLimits.MaxStageNameLength");
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(field, duration, $"{owner}.{field}[\"{name}\"] must not be negative (was {duration}).");
        }
    }

    private static void CheckTag(string key, string value, string owner, string field)
    {
        CheckKey(key, UsageRecordLimits.MaxTagKeyLength, owner, field, "a tag key", "UsageRecordLimits.MaxTagKeyLength");
        if (value is null)
        {
            throw new ArgumentException($"{owner}.{field}[\"{key}\"] is null; tag values must not be null.", field);
        }

        if (value.Length > UsageRecordLimits.MaxTagValueLength)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{owner}.{field}[\"{key}\"] is {value.Length} characters long; at most {UsageRecordLimits.MaxTagValueLength} are allowed (UsageRecordLimits.MaxTagValueLength)."),
                field);
        }

        if (IndexOfInvalid(value) is var at and >= 0)
        {
            ThrowInvalid(value, at, owner, $"{field}[\"{key}\"]", field);
        }
    }

    private static void CheckKey(string? key, int maxLength, string owner, string field, string what, string limitName)
    {
        if (key is null)
        {
            throw new ArgumentException($"{owner}.{field} has {what} that is null.", field);
        }

        if (key.Length > maxLength)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} has {what} of {key.Length} characters (\"{Preview(key)}…\"); at most {maxLength} are allowed ({limitName})."),
                field);
        }

        if (IndexOfInvalid(key) is var at and >= 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} has {what} that contains {Describe(key, at)} at index {at}; {Rule}"),
                field);
        }
    }

    private const string Rule = "strings must be valid UTF-16 without NUL (U+0000) or unpaired surrogates.";

    private static int IndexOfInvalidSlow(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\0')
            {
                return i;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return i;
                }

                i += 2;
            }
            else if (char.IsLowSurrogate(c))
            {
                return i;
            }
            else
            {
                i++;
            }

            var next = text[i..].IndexOfAnyExceptInRange('\u0001', '\uD7FF');
            if (next < 0)
            {
                return -1;
            }

            i += next;
        }

        return -1;
    }

    private static string Describe(ReadOnlySpan<char> text, int at) => text[at] == '\0'
        ? "NUL (U+0000)"
        : string.Create(CultureInfo.InvariantCulture, $"an unpaired surrogate (U+{(int)text[at]:X4})");

    // The start of a too-long value, cut before anything that would make the message itself invalid text.
    private static string Preview(string value)
    {
        var head = value.AsSpan(0, Math.Min(32, value.Length));
        var bad = IndexOfInvalid(head);
        if (bad >= 0)
        {
            head = head[..bad];
        }

        if (head.Length > 0 && char.IsHighSurrogate(head[^1]))
        {
            head = head[..^1];
        }

        return head.ToString();
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLong(int length, int maxLength, string owner, string field, string limitName) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} is {length} characters long; at most {maxLength} are allowed ({limitName})."),
            field);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalid(string value, int at, string owner, string what, string field) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{owner}.{what} contains {Describe(value, at)} at index {at}; {Rule}"),
            field);
}
