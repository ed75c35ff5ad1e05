using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// Encodes rows in PostgreSQL's binary COPY format into a reused buffer, handed to a raw COPY stream in large chunks.
/// </summary>
/// <remarks>
/// Npgsql's <c>NpgsqlBinaryImporter</c> resolves and writes every field through its type system, which costs far more
/// per field than the field itself for a 46-column detail row; the ledger's columns have fixed types, so it writes
/// their wire formats directly: text and jsonb as UTF-8 (jsonb after its version byte), bigint/integer big-endian,
/// timestamptz as microseconds since 2000-01-01 UTC, numeric as base-10000 digits with the decimal's own scale.
/// </remarks>
internal sealed class BinaryCopyWriter : IDisposable
{
    private const int FlushThreshold = 60 * 1024;
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly Stream _stream;
    private readonly JsonbField _jsonField;
    private readonly Utf8JsonWriter _json;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _length;

    public BinaryCopyWriter(Stream stream)
    {
        _stream = stream;
        _jsonField = new JsonbField(this);
        _json = new Utf8JsonWriter(_jsonField);
        Header.CopyTo(_buffer, 0);
        _length = Header.Length;
    }

    /// <summary>Starts a row of <paramref name="fields"/> fields; flushes first when the buffer is nearly full.</summary>
    public ValueTask StartRowAsync(short fields, CancellationToken cancellationToken)
    {
        if (_length >= FlushThreshold)
        {
            return FlushAsync(cancellationToken);
        }

        WriteInt16Core(fields);
        return ValueTask.CompletedTask;

        async ValueTask FlushAsync(CancellationToken token)
        {
            await _stream.WriteAsync(_buffer.AsMemory(0, _length), token).ConfigureAwait(false);
            _length = 0;
            WriteInt16Core(fields);
        }
    }

    /// <summary>Writes the trailer and the rest of the buffer.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        WriteInt16Core(-1);
        await _stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        _length = 0;
    }

    public void Null() => WriteInt32Core(-1);

    public void Text(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        Ensure(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        WriteInt32Core(written);
        _length += written;
    }

    /// <summary>A jsonb field from JSON text.</summary>
    public void Jsonb(string? json)
    {
        if (json is null)
        {
            Null();
            return;
        }

        Ensure(5 + Encoding.UTF8.GetMaxByteCount(json.Length));
        var written = Encoding.UTF8.GetBytes(json, _buffer.AsSpan(_length + 5));
        WriteInt32Core(written + 1);
        _buffer[_length++] = 1;
        _length += written;
    }

    /// <summary>The tags column as jsonb (<see cref="LedgerRows.WriteTags"/>), written in place; NULL for no tags.</summary>
    public void JsonbTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null || tags.Count == 0)
        {
            Null();
            return;
        }

        _jsonField.Begin();
        _json.Reset();
        LedgerRows.WriteTags(_json, tags);
        _json.Flush();
        _jsonField.Complete();
    }

    /// <summary>The server-tool-calls column as jsonb (<see cref="LedgerDetailRows.WriteServerToolCalls"/>), written in place; NULL for none.</summary>
    public void JsonbServerToolCalls(IReadOnlyDictionary<string, long>? toolCalls)
    {
        if (toolCalls is null || toolCalls.Count == 0)
        {
            Null();
            return;
        }

        _jsonField.Begin();
        _json.Reset();
        LedgerDetailRows.WriteServerToolCalls(_json, toolCalls);
        _json.Flush();
        _jsonField.Complete();
    }

    public void Int64(long value)
    {
        Ensure(12);
        WriteInt32Core(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void Int64(long? value)
    {
        if (value is { } v)
        {
            Int64(v);
        }
        else
        {
            Null();
        }
    }

    public void Int32(int? value)
    {
        if (value is not { } v)
        {
            Null();
            return;
        }

        Ensure(8);
        WriteInt32Core(4);
        WriteInt32Core(v);
    }

    public void Boolean(bool value)
    {
        Ensure(5);
        WriteInt32Core(1);
        _buffer[_length++] = value ? (byte)1 : (byte)0;
    }

    /// <summary>A timestamptz: whole microseconds since 2000-01-01 UTC (PostgreSQL's resolution), rounded toward the past.</summary>
    public void TimestampTz(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - PostgresEpochTicks;
        var microseconds = ticks / TimeSpan.TicksPerMicrosecond;
        Int64(ticks % TimeSpan.TicksPerMicrosecond < 0 ? microseconds - 1 : microseconds);
    }

    public void TimestampTz(DateTimeOffset? value)
    {
        if (value is { } v)
        {
            TimestampTz(v);
        }
        else
        {
            Null();
        }
    }

    /// <summary>
    /// A numeric: the decimal's 96-bit integer and scale re-based to base-10000 digits, with the scale as the display
    /// scale, so <c>1.50</c> is stored as 1.50 (what Npgsql writes too).
    /// </summary>
    public void Numeric(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        var mantissa = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];

        // Align the fraction to whole base-10000 digits: 0.00064 (scale 5) becomes 64000 × 10000^-2.
        var fractionDigits = (scale + 3) / 4;
        for (var i = scale; i < fractionDigits * 4; i++)
        {
            mantissa *= 10;
        }

        // At most 2^96 × 1000 < 10^32: eight base-10000 digits, least significant first.
        Span<short> digits = stackalloc short[8];
        var count = 0;
        while (mantissa != 0)
        {
            digits[count++] = (short)(ulong)(mantissa % 10000);
            mantissa /= 10000;
        }

        var low = 0;
        while (low < count && digits[low] == 0)
        {
            low++;
        }

        var stored = count - low;
        var weight = stored == 0 ? 0 : count - 1 - fractionDigits;
        Ensure(4 + 8 + (2 * stored));
        WriteInt32Core(8 + (2 * stored));
        WriteInt16Core((short)stored);
        WriteInt16Core((short)weight);
        WriteInt16Core(negative && stored > 0 ? (short)0x4000 : (short)0);
        WriteInt16Core((short)scale);
        for (var i = count - 1; i >= low; i--)
        {
            WriteInt16Core(digits[i]);
        }
    }

    public void Numeric(decimal? value)
    {
        if (value is { } v)
        {
            Numeric(v);
        }
        else
        {
            Null();
        }
    }

    public void Dispose()
    {
        _json.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Ensure(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }

    private void WriteInt16Core(short value)
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    private void WriteInt32Core(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    /// <summary>Lets the JSON writer write a jsonb field in place: reserves the length and version byte, back-fills the length.</summary>
    private sealed class JsonbField(BinaryCopyWriter owner) : IBufferWriter<byte>
    {
        private int _start;

        public void Begin()
        {
            owner.Ensure(5);
            _start = owner._length;
            owner._length += 4;
            owner._buffer[owner._length++] = 1;
        }

        public void Complete() => BinaryPrimitives.WriteInt32BigEndian(owner._buffer.AsSpan(_start), owner._length - _start - 4);

        public void Advance(int count) => owner._length += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            owner.Ensure(Math.Max(sizeHint, 256));
            return owner._buffer.AsMemory(owner._length);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            owner.Ensure(Math.Max(sizeHint, 256));
            return owner._buffer.AsSpan(owner._length);
        }
    }
}
