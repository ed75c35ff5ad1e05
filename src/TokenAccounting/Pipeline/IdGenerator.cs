using System.Globalization;

namespace TokenAccounting;

/// <summary>
/// Unique ids without a random-number call per id: one random 80-bit prefix per generator, then a counter.
/// (A <see cref="Guid"/> per record costs microseconds where the OS random source is slow.)
/// </summary>
internal sealed class IdGenerator
{
    private const int PrefixLength = 20;
    private const int CounterDigits = 12;

    private readonly string _prefix = Guid.NewGuid().ToString("N")[..PrefixLength];
    private long _next;

    /// <summary>Gets the next id: the prefix, then the counter in at least twelve lowercase hex digits.</summary>
    public string Next()
    {
        var n = Interlocked.Increment(ref _next);
        if ((ulong)n >> (4 * CounterDigits) != 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{_prefix}{n:x12}");
        }

        // Written straight into the string (the aggregator makes one per record): no format parsing, no buffer.
        return string.Create(PrefixLength + CounterDigits, (_prefix, n), static (chars, state) =>
        {
            state._prefix.AsSpan().CopyTo(chars);
            var value = (ulong)state.n;
            for (var i = chars.Length - 1; i >= PrefixLength; i--)
            {
                chars[i] = "0123456789abcdef"[(int)(value & 0xF)];
                value >>= 4;
            }
        });
    }
}
