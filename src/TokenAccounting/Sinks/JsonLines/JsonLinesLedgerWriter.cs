using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>
/// Writes ledger lines straight from <see cref="UsageRecord"/>s into its own byte buffer. The bytes are identical to
/// serializing a <see cref="JsonLinesLedgerLine"/> filled by <see cref="JsonLinesLedgerFormat.Fill"/> with
/// <see cref="JsonLinesLedgerJsonContext"/> on a <see cref="Utf8JsonWriter"/> using
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>: same fields, order, null omission and value formats.
/// It is cheaper because no DTO is filled, property names are UTF-8 literals, numbers, dates and decimals are
/// formatted in place, and a string is copied as is when it is printable ASCII without <c>"</c> or <c>\</c>
/// (the only case the relaxed encoder leaves untouched there); any other string goes through a
/// <see cref="Utf8JsonWriter"/> with that encoder, so its escaping is exactly the serializer's.
/// Non-ASCII text stays readable; control characters, and so <c>'\n'</c>, are always escaped, which keeps one record
/// per line. Reading still goes through the DTO and the source-generated context. Not thread-safe.
/// </summary>
internal sealed class JsonLinesLedgerWriter : IDisposable
{
    // Longest decimal: '-', "0.", 28 fraction digits (zeros and the mantissa's digits) — or a 20-digit mantissa with
    // a point in it.
    private const int MaxNumberLength = 32;

    // "yyyy-MM-ddTHH:mm:ss.fffffff+HH:mm" in quotes.
    private const int MaxDateLength = 35;

    // Room for a property name literal, its punctuation and a number, date, bool or '{'/'}'.
    private const int MaxFixedLength = 96;

    // The fields whose value is usually the same string instance from record to record (a model name, the batch id,
    // a scope's user): each keeps the encoded bytes of the last value it wrote.
    private const int BatchIdSlot = 0;
    private const int ModelSlot = 1;
    private const int ResponseModelSlot = 2;
    private const int ProviderSlot = 3;
    private const int OperationSlot = 4;
    private const int DegradedReasonSlot = 5;
    private const int UserIdSlot = 6;
    private const int TenantIdSlot = 7;
    private const int ApiKeyIdSlot = 8;
    private const int RouteSlot = 9;
    private const int ServiceTierSlot = 10;
    private const int ScopePathSlot = 11;
    private const int RepeatedSlotCount = 12;

    // Longer values are encoded each time: caching them would copy more than it saves.
    private const int MaxRepeatedLength = 256;

    // Printable ASCII except '"' and '\': the relaxed encoder passes these through and UTF-8 is the same bytes.
    private static readonly SearchValues<char> VerbatimChars = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private readonly ArrayBufferWriter<byte> _escaped = new(256);
    private readonly Utf8JsonWriter _escaper;
    private readonly JsonLinesLedgerRollupLine _rollupLine = new();
    private readonly RepeatedString[] _repeated = new RepeatedString[RepeatedSlotCount];
    private byte[] _bytes;
    private int _length;

    /// <summary>Creates a writer with an empty buffer.</summary>
    /// <param name="initialCapacity">The buffer's initial size in bytes; it grows as needed and is kept.</param>
    public JsonLinesLedgerWriter(int initialCapacity = 64 * 1024)
    {
        _bytes = new byte[initialCapacity];
        _escaper = new Utf8JsonWriter(_escaped, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Gets the lines written since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _bytes.AsSpan(0, _length);

    /// <summary>Empties the buffer (keeping its memory) for the next batch.</summary>
    public void Clear() => _length = 0;

    /// <summary>Appends <paramref name="record"/> as one JSON object followed by <c>'\n'</c>.</summary>
    public void WriteLine(UsageRecord record, string? batchId)
    {
        WriteInteger("{\"v\":"u8, JsonLinesLedgerFormat.CurrentVersion);

        WriteRepeatedString(",\"batch_id\":"u8, batchId, BatchIdSlot);
        WriteString(",\"id\":"u8, record.Id);
        WriteRepeatedString(",\"model\":"u8, record.Model, ModelSlot);
        WriteRepeatedString(",\"response_model\":"u8, record.ResponseModel, ResponseModelSlot);
        WriteRepeatedString(",\"provider\":"u8, record.Provider, ProviderSlot);
        WriteRepeatedString(",\"operation\":"u8, record.Operation.Value, OperationSlot);

        var tokens = record.Tokens;
        WriteInteger(",\"input_tokens\":"u8, tokens.Input);
        WriteInteger(",\"output_tokens\":"u8, tokens.Output);
        WriteInteger(",\"cached_input_tokens\":"u8, tokens.CachedInput);
        WriteInteger(",\"cache_write_input_tokens\":"u8, tokens.CacheWriteInput);
        WriteInteger(",\"cache_write_long_ttl_input_tokens\":"u8, tokens.CacheWriteLongTtlInput);
        WriteInteger(",\"reasoning_tokens\":"u8, tokens.Reasoning);

        // Written only when non-zero (lines without audio keep the bytes they had).
        WriteNonZero(",\"input_audio_tokens\":"u8, tokens.InputAudio);
        WriteNonZero(",\"cached_input_audio_tokens\":"u8, tokens.CachedInputAudio);
        WriteNonZero(",\"output_audio_tokens\":"u8, tokens.OutputAudio);

        switch (record.Provenance)
        {
            case UsageProvenance.Reported:
                WriteLiteral(",\"provenance\":\"reported\""u8);
                break;
            case UsageProvenance.Estimated:
                WriteLiteral(",\"provenance\":\"estimated\""u8);
                break;
            default:
                WriteString(",\"provenance\":"u8, ((int)record.Provenance).ToString(CultureInfo.InvariantCulture));
                break;
        }

        switch (record.Outcome)
        {
            case UsageOutcome.Succeeded:
                WriteLiteral(",\"outcome\":\"succeeded\""u8);
                break;
            case UsageOutcome.Failed:
                WriteLiteral(",\"outcome\":\"failed\""u8);
                break;
            case UsageOutcome.Cancelled:
                WriteLiteral(",\"outcome\":\"cancelled\""u8);
                break;
            case UsageOutcome.Skipped:
                WriteLiteral(",\"outcome\":\"skipped\""u8);
                break;
            default:
                WriteString(",\"outcome\":"u8, ((int)record.Outcome).ToString(CultureInfo.InvariantCulture));
                break;
        }

        WriteRepeatedString(",\"degraded_reason\":"u8, record.DegradedReason, DegradedReasonSlot);
        if (record.StartedAt is { } startedAt)
        {
            WriteDate(",\"started_at\":"u8, startedAt);
        }

        if (record.CompletedAt is { } completedAt)
        {
            WriteDate(",\"completed_at\":"u8, completedAt);
        }

        if (record.Latency is { } latency)
        {
            WriteMilliseconds(",\"latency_ms\":"u8, latency);
        }

        if (record.StageDurations is { Count: > 0 } stages)
        {
            WriteLiteral(",\"stage_durations_ms\":"u8);
            if (stages is Dictionary<string, TimeSpan> dictionary)
            {
                // The same order as through the interface, without boxing the enumerator.
                var separator = "{"u8;
                foreach (var (name, duration) in dictionary)
                {
                    WriteStageDuration(separator, name, duration);
                    separator = ","u8;
                }
            }
            else
            {
                var separator = "{"u8;
                foreach (var (name, duration) in stages)
                {
                    WriteStageDuration(separator, name, duration);
                    separator = ","u8;
                }
            }

            WriteLiteral("}"u8);
        }

        if (record.HistoryLength is { } historyLength)
        {
            WriteInteger(",\"history_length\":"u8, historyLength);
        }

        WriteString(",\"correlation_id\":"u8, record.CorrelationId);
        WriteRepeatedString(",\"user_id\":"u8, record.UserId, UserIdSlot);
        WriteRepeatedString(",\"tenant_id\":"u8, record.TenantId, TenantIdSlot);
        WriteRepeatedString(",\"api_key_id\":"u8, record.ApiKeyId, ApiKeyIdSlot);
        WriteRepeatedString(",\"route\":"u8, record.Route, RouteSlot);
        WriteRepeatedString(",\"service_tier\":"u8, record.ServiceTier, ServiceTierSlot);
        WriteRepeatedString(",\"scope_path\":"u8, record.ScopePath, ScopePathSlot);
        if (record.Tags is { Count: > 0 } tags)
        {
            WriteLiteral(",\"tags\":"u8);
            if (tags is Dictionary<string, string> dictionary)
            {
                // The same order as through the interface, without boxing the enumerator.
                var separator = "{"u8;
                foreach (var (key, value) in dictionary)
                {
                    WriteTag(separator, key, value);
                    separator = ","u8;
                }
            }
            else
            {
                var separator = "{"u8;
                foreach (var (key, value) in tags)
                {
                    WriteTag(separator, key, value);
                    separator = ","u8;
                }
            }

            WriteLiteral("}"u8);
        }

        if (record.ServerToolCalls is { Count: > 0 } toolCalls)
        {
            WriteLiteral(",\"server_tool_calls\":"u8);
            if (toolCalls is Dictionary<string, long> dictionary)
            {
                // The same order as through the interface, without boxing the enumerator.
                var separator = "{"u8;
                foreach (var (tool, calls) in dictionary)
                {
                    WriteToolCalls(separator, tool, calls);
                    separator = ","u8;
                }
            }
            else
            {
                var separator = "{"u8;
                foreach (var (tool, calls) in toolCalls)
                {
                    WriteToolCalls(separator, tool, calls);
                    separator = ","u8;
                }
            }

            WriteLiteral("}"u8);
        }

        if (record.Cost is { } cost)
        {
            WriteDecimal(",\"cost_usd\":"u8, cost.Total);
            WriteDecimal(",\"cost_input_usd\":"u8, cost.Input);
            WriteDecimal(",\"cost_cached_input_usd\":"u8, cost.CachedInput);
            WriteDecimal(",\"cost_cache_write_usd\":"u8, cost.CacheWrite);
            if (cost.CacheWriteLongTtl > 0)
            {
                WriteDecimal(",\"cost_cache_write_long_ttl_usd\":"u8, cost.CacheWriteLongTtl);
            }

            WriteDecimal(",\"cost_output_usd\":"u8, cost.Output);
            WriteDecimal(",\"cost_reasoning_usd\":"u8, cost.Reasoning);

            // Written only when non-zero, like the long-TTL part (and as rollup lines write them).
            WriteNonZero(",\"cost_input_audio_usd\":"u8, cost.InputAudio);
            WriteNonZero(",\"cost_cached_input_audio_usd\":"u8, cost.CachedInputAudio);
            WriteNonZero(",\"cost_output_audio_usd\":"u8, cost.OutputAudio);
            WriteNonZero(",\"cost_requests_usd\":"u8, cost.Requests);
            WriteNonZero(",\"cost_server_tool_calls_usd\":"u8, cost.ServerToolCalls);
        }

        if (record.IsUnpaired)
        {
            WriteLiteral(",\"unpaired\":true"u8);
        }

        WriteString(",\"text\":"u8, record.Text);
        WriteLiteral("}\n"u8);
    }

    /// <summary>
    /// Appends a rollup line (schema version 2) for <paramref name="rollup"/>, followed by <c>'\n'</c>. Rollup lines are
    /// few (one per key and batch), so they go through the source-generated serializer with the relaxed encoder.
    /// </summary>
    public void WriteRollupLine(UsageRollup rollup, string batchId)
    {
        JsonLinesLedgerFormat.FillRollup(_rollupLine, rollup, batchId);
        _escaped.ResetWrittenCount();
        _escaper.Reset();
        JsonSerializer.Serialize(_escaper, _rollupLine, JsonLinesLedgerJsonContext.Default.JsonLinesLedgerRollupLine);
        _escaper.Flush();
        WriteLiteral(_escaped.WrittenSpan);
        WriteLiteral("\n"u8);
    }

    /// <inheritdoc />
    public void Dispose() => _escaper.Dispose();

    /// <summary>The last value written to a field and its encoded bytes (quotes included).</summary>
    private struct RepeatedString
    {
        public string? Source;
        public byte[]? Bytes;
        public int Length;
    }

    /// <summary>
    /// Formats a decimal exactly as <see cref="Utf8JsonWriter.WriteNumberValue(decimal)"/> does (every digit of the
    /// mantissa, trailing zeros kept, no exponent, no sign on zero) when its mantissa fits 64 bits; returns false
    /// otherwise. <paramref name="destination"/> must hold at least 32 bytes.
    /// </summary>
    internal static bool TryFormatDecimal(decimal value, Span<byte> destination, out int bytesWritten)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        if (bits[2] != 0)
        {
            bytesWritten = 0;
            return false;
        }

        var mantissa = (uint)bits[0] | ((ulong)(uint)bits[1] << 32);
        var scale = (bits[3] >> 16) & 0xFF;
        bytesWritten = FormatScaled(mantissa, scale, negative: bits[3] < 0 && mantissa != 0, destination);
        return true;
    }

    /// <summary>
    /// Formats a duration in milliseconds exactly as the serializer formats <c>ticks / 10,000m</c>: no trailing zeros
    /// in the fraction, no point for a whole number. <paramref name="destination"/> must hold at least 32 bytes.
    /// </summary>
    internal static int FormatMilliseconds(TimeSpan value, Span<byte> destination)
    {
        var ticks = value.Ticks;
        var negative = ticks < 0;
        var magnitude = negative ? (ulong)-(ticks + 1) + 1 : (ulong)ticks;
        var scale = 4;
        while (scale > 0 && magnitude % 10 == 0)
        {
            magnitude /= 10;
            scale--;
        }

        return FormatScaled(magnitude, scale, negative && magnitude != 0, destination);
    }

    /// <summary>
    /// Formats a date exactly as <see cref="Utf8JsonWriter.WriteStringValue(DateTimeOffset)"/> does, quotes included:
    /// ISO 8601 round-trip form with the fraction's trailing zeros (and an all-zero fraction's point) removed.
    /// <paramref name="destination"/> must hold at least 35 bytes.
    /// </summary>
    internal static int FormatDate(DateTimeOffset value, Span<byte> destination)
    {
        // 'O': yyyy-MM-ddTHH:mm:ss.fffffff+HH:mm; the fraction is at [19..27).
        destination[0] = (byte)'"';
        var text = destination[1..];
        Utf8Formatter.TryFormat(value, text, out var length, new StandardFormat('O'));
        var fractionEnd = 27;
        while (fractionEnd > 20 && text[fractionEnd - 1] == (byte)'0')
        {
            fractionEnd--;
        }

        if (fractionEnd == 20)
        {
            fractionEnd = 19;
        }

        if (fractionEnd < 27)
        {
            text[27..length].CopyTo(text[fractionEnd..]);
            length -= 27 - fractionEnd;
        }

        text[length] = (byte)'"';
        return length + 2;
    }

    // The mantissa's digits are formatted in place, then the fraction is moved right to make room for the point
    // (and, below 1, for "0." and leading zeros).
    private static int FormatScaled(ulong mantissa, int scale, bool negative, Span<byte> destination)
    {
        var start = negative ? 1 : 0;
        if (negative)
        {
            destination[0] = (byte)'-';
        }

        Utf8Formatter.TryFormat(mantissa, destination[start..], out var digitCount);
        if (scale == 0)
        {
            return start + digitCount;
        }

        var digits = destination.Slice(start, digitCount);
        if (digitCount > scale)
        {
            var point = start + digitCount - scale;
            digits[^scale..].CopyTo(destination[(point + 1)..]);
            destination[point] = (byte)'.';
            return start + digitCount + 1;
        }

        var zeros = scale - digitCount;
        digits.CopyTo(destination[(start + 2 + zeros)..]);
        destination[start] = (byte)'0';
        destination[start + 1] = (byte)'.';
        destination.Slice(start + 2, zeros).Fill((byte)'0');
        return start + 2 + scale;
    }

    private Span<byte> Reserve(int size)
    {
        if (_bytes.Length - _length < size)
        {
            Array.Resize(ref _bytes, Math.Max(checked(_length + size), _bytes.Length * 2));
        }

        return _bytes.AsSpan(_length);
    }

    private void WriteLiteral(ReadOnlySpan<byte> literal)
    {
        literal.CopyTo(Reserve(literal.Length));
        _length += literal.Length;
    }

    private void WriteInteger(ReadOnlySpan<byte> prefix, long value)
    {
        var span = Reserve(MaxFixedLength);
        prefix.CopyTo(span);
        Utf8Formatter.TryFormat(value, span[prefix.Length..], out var written);
        _length += prefix.Length + written;
    }

    private void WriteDate(ReadOnlySpan<byte> prefix, DateTimeOffset value)
    {
        var span = Reserve(prefix.Length + MaxDateLength);
        prefix.CopyTo(span);
        _length += prefix.Length + FormatDate(value, span[prefix.Length..]);
    }

    private void WriteMilliseconds(ReadOnlySpan<byte> prefix, TimeSpan value)
    {
        var span = Reserve(prefix.Length + MaxNumberLength);
        prefix.CopyTo(span);
        _length += prefix.Length + FormatMilliseconds(value, span[prefix.Length..]);
    }

    private void WriteNonZero(ReadOnlySpan<byte> prefix, long value)
    {
        if (value != 0)
        {
            WriteInteger(prefix, value);
        }
    }

    private void WriteNonZero(ReadOnlySpan<byte> prefix, decimal value)
    {
        if (value != 0m)
        {
            WriteDecimal(prefix, value);
        }
    }

    private void WriteDecimal(ReadOnlySpan<byte> prefix, decimal value)
    {
        var span = Reserve(prefix.Length + MaxNumberLength);
        prefix.CopyTo(span);
        if (TryFormatDecimal(value, span[prefix.Length..], out var written))
        {
            _length += prefix.Length + written;
            return;
        }

        // A mantissa over 64 bits: rare enough to take the serializer's own formatting.
        _escaped.ResetWrittenCount();
        _escaper.Reset();
        _escaper.WriteNumberValue(value);
        _escaper.Flush();
        WriteLiteral(prefix);
        WriteLiteral(_escaped.WrittenSpan);
    }

    private void WriteStageDuration(ReadOnlySpan<byte> separator, string name, TimeSpan duration)
    {
        WritePropertyName(separator, name);
        WriteMilliseconds(":"u8, duration);
    }

    private void WriteToolCalls(ReadOnlySpan<byte> separator, string tool, long calls)
    {
        WritePropertyName(separator, tool);
        WriteInteger(":"u8, calls);
    }

    private void WriteTag(ReadOnlySpan<byte> separator, string key, string? value)
    {
        WritePropertyName(separator, key);

        // Like the serializer: a null value inside the dictionary is written as null, not omitted.
        if (value is null)
        {
            WriteLiteral(":null"u8);
        }
        else
        {
            WriteString(":"u8, value);
        }
    }

    // Writes the separator and the quoted name; the caller writes the ':' that follows. A null key fails as in the
    // serializer.
    private void WritePropertyName(ReadOnlySpan<byte> separator, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        WriteString(separator, name);
    }

    /// <summary>
    /// Writes a string field like <see cref="WriteString"/>, but when the value is the same instance as the last one
    /// written to this field (strings are immutable, so the same bytes) copies the bytes encoded then.
    /// </summary>
    private void WriteRepeatedString(ReadOnlySpan<byte> prefix, string? value, int slot)
    {
        if (value is null)
        {
            return;
        }

        ref var repeated = ref _repeated[slot];
        if (ReferenceEquals(value, repeated.Source))
        {
            var encoded = repeated.Bytes!.AsSpan(0, repeated.Length);
            var span = Reserve(prefix.Length + encoded.Length);
            prefix.CopyTo(span);
            encoded.CopyTo(span[prefix.Length..]);
            _length += prefix.Length + encoded.Length;
            return;
        }

        var start = _length + prefix.Length;
        WriteString(prefix, value);
        var length = _length - start;
        if (value.Length <= MaxRepeatedLength && length <= 4 * MaxRepeatedLength)
        {
            if (repeated.Bytes is null || repeated.Bytes.Length < length)
            {
                repeated.Bytes = new byte[Math.Max(length, 64)];
            }

            _bytes.AsSpan(start, length).CopyTo(repeated.Bytes);
            repeated.Length = length;
            repeated.Source = value;
        }
    }

    private void WriteString(ReadOnlySpan<byte> prefix, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (!value.AsSpan().ContainsAnyExcept(VerbatimChars))
        {
            var span = Reserve(prefix.Length + value.Length + 2);
            prefix.CopyTo(span);
            var position = prefix.Length;
            span[position++] = (byte)'"';
            Ascii.FromUtf16(value, span[position..], out var written);
            position += written;
            span[position++] = (byte)'"';
            _length += position;
            return;
        }

        _escaped.ResetWrittenCount();
        _escaper.Reset();
        _escaper.WriteStringValue(value);
        _escaper.Flush();
        WriteLiteral(prefix);
        WriteLiteral(_escaped.WrittenSpan);
    }
}
