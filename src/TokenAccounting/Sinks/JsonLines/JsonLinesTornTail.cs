using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace TokenAccounting;

/// <summary>
/// Finds and repairs the torn tail a crash can leave at the end of a ledger file: a last line without its trailing
/// newline, or a last line that is not one complete JSON object.
/// </summary>
internal static class JsonLinesTornTail
{
    /// <summary>The suffix of the file that receives torn tails: <c>&lt;file&gt;.broken</c>.</summary>
    public const string BrokenSuffix = ".broken";

    private const byte NewLine = (byte)'\n';
    private const int ChunkSize = 4096;

    /// <summary>
    /// Moves a torn tail to <c>&lt;path&gt;.broken</c> (appended and flushed to disk first) and truncates the file to
    /// its last complete line. Returns how many bytes were moved (0 when the file was intact).
    /// </summary>
    public static long Repair(FileStream stream, string path)
    {
        var handle = stream.SafeFileHandle;
        var length = RandomAccess.GetLength(handle);
        if (length == 0)
        {
            return 0;
        }

        long tailStart;
        Span<byte> last = stackalloc byte[1];
        RandomAccess.Read(handle, last, length - 1);
        if (last[0] != NewLine)
        {
            tailStart = FindLastNewLine(handle, length) + 1;
        }
        else
        {
            var lineStart = FindLastNewLine(handle, length - 1) + 1;
            var line = ReadRange(handle, lineStart, length - 1);
            if (JsonLinesLedgerFormat.IsCompleteJson(TrimCarriageReturn(line)))
            {
                return 0;
            }

            tailStart = lineStart;
        }

        var tail = ReadRange(handle, tailStart, length);
        using (var broken = new FileStream(path + BrokenSuffix, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 0,
        }))
        {
            broken.Write(tail);
            if (tail[^1] != NewLine)
            {
                broken.WriteByte(NewLine);
            }

            broken.Flush(flushToDisk: true);
        }

        stream.SetLength(tailStart);
        stream.Flush(flushToDisk: true);
        return tail.Length;
    }

    /// <summary>Returns the offset of the last newline before <paramref name="end"/>, or -1 when there is none.</summary>
    private static long FindLastNewLine(SafeFileHandle handle, long end)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (end > 0)
            {
                var start = Math.Max(0, end - ChunkSize);
                var span = buffer.AsSpan(0, (int)(end - start));
                ReadExactly(handle, span, start);
                var at = span.LastIndexOf(NewLine);
                if (at >= 0)
                {
                    return start + at;
                }

                end = start;
            }

            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] ReadRange(SafeFileHandle handle, long start, long end)
    {
        var bytes = new byte[checked((int)(end - start))];
        ReadExactly(handle, bytes, start);
        return bytes;
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
            {
                throw new EndOfStreamException("The ledger file shrank while it was being checked.");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    private static ReadOnlySpan<byte> TrimCarriageReturn(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
}
