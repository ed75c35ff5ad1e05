using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        if (IsPlain(text))
        {
            return -1;
        }

        // Everything from U+0001 to U+D7FF is fine; what is outside is NUL, a surrogate or U+E000 and up.
        var i = text.IndexOfAnyExceptInRange('\u0001', '\uD7FF');
        return i < 0 ? -1 : IndexOfInvalidSlow(text, i);
    }

    /// <summary>
    /// Gets whether every character is in U+0001..U+D7FF (no NUL, no surrogate, nothing that needs the slow check):
    /// the common case, checked without a call into the general span search, which costs more than the whole scan
    /// for the short strings records carry (model names, ids). Branch-free for up to 7 characters, one or two
    /// overlapping 128-bit compares per 8 after that.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsPlain(ReadOnlySpan<char> text)
    {
        ref var start = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        var length = text.Length;
        if (length >= Vector128<ushort>.Count && Vector128.IsHardwareAccelerated)
        {
            return IsPlainVectorized(ref start, length);
        }

        // (c - 1) mod 2^16 is below 0xD7FF exactly for U+0001..U+D7FF; adding 0x2801 carries into bit 16 otherwise.
        var carry = 0u;
        for (var i = 0; i < length; i++)
        {
            carry |= (uint)(ushort)(Unsafe.Add(ref start, i) - 1) + 0x2801u;
        }

        return (carry & 0x1_0000u) == 0;
    }

    private static bool IsPlainVectorized(ref ushort start, int length)
    {
        var one = Vector128<ushort>.One;
        var highest = Vector128.Create((ushort)0xD7FE);
        var outside = Vector128<ushort>.Zero;
        var last = length - Vector128<ushort>.Count;
        for (var i = 0; i < last; i += Vector128<ushort>.Count)
        {
            outside |= Vector128.GreaterThan(Vector128.LoadUnsafe(ref start, (nuint)i) - one, highest);
        }

        // The last 8 characters, overlapping what the loop read: no scalar tail.
        outside |= Vector128.GreaterThan(Vector128.LoadUnsafe(ref start, (nuint)last) - one, highest);
        return outside == Vector128<ushort>.Zero;
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

        if (!IsPlain(value) && IndexOfInvalid(value) is var at and >= 0)
        {
            ThrowInvalid(value, at, owner, field, field);
        }
    }

    /// <summary>
    /// <see cref="Check"/> for a field whose value repeats from record to record as the same string instance (a model
    /// or provider literal, a user id held by a scope or claim): the last instance that passed is remembered in
    /// <paramref name="lastValid"/>, and since strings are immutable and the limit is the field's own, the same instance
    /// needs no second scan. A miss checks in full and remembers the new instance (a racing write only costs a rescan).
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Check"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckRepeated(string? value, ref string? lastValid, int maxLength, string owner, string field, string limitName)
    {
        if (value is null || ReferenceEquals(value, lastValid))
        {
            return;
        }

        CheckAndRemember(value, ref lastValid, maxLength, owner, field, limitName);
    }

    // The miss of CheckRepeated, out of line: the hit is two compares in the caller.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckAndRemember(string value, ref string? lastValid, int maxLength, string owner, string field, string limitName)
    {
        Check(value, maxLength, owner, field, limitName);
        lastValid = value;
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
            ThrowTooManyTags(tags.Count, owner, field);
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
            ThrowTooManyStages(stages.Count, owner, field);
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
            ThrowNegativeStage(name, duration, owner, field);
        }
    }

    private static void CheckTag(string key, string value, string owner, string field)
    {
        CheckKey(key, UsageRecordLimits.MaxTagKeyLength, owner, field, "a tag key", "UsageRecordLimits.MaxTagKeyLength");
        if (value is null || value.Length > UsageRecordLimits.MaxTagValueLength || !IsPlain(value))
        {
            CheckTagValueInFull(key, value, owner, field);
        }
    }

    // A tag value that is null, too long or not plain text: names what is wrong and throws (or returns, for valid text
    // that only needed the slow check).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckTagValueInFull(string key, string? value, string owner, string field)
    {
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckKey(string? key, int maxLength, string owner, string field, string what, string limitName)
    {
        if (key is null || key.Length > maxLength || !IsPlain(key))
        {
            CheckKeyInFull(key, maxLength, owner, field, what, limitName);
        }
    }

    // A key that is null, too long or not plain text: names what is wrong and throws (or returns, for valid text that
    // only needed the slow check).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckKeyInFull(string? key, int maxLength, string owner, string field, string what, string limitName)
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

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooManyTags(int count, string owner, string field) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} has {count} tags; at most {UsageRecordLimits.MaxTagCount} are allowed (UsageRecordLimits.MaxTagCount)."),
            field);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooManyStages(int count, string owner, string field) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{owner}.{field} has {count} entries; at most {UsageRecordLimits.MaxStageDurationCount} are allowed (UsageRecordLimits.MaxStageDurationCount)."),
            field);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNegativeStage(string name, TimeSpan duration, string owner, string field) =>
        throw new ArgumentOutOfRangeException(field, duration, $"{owner}.{field}[\"{name}\"] must not be negative (was {duration}).");

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
