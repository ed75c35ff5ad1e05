using System.Globalization;

namespace TokenAccounting;

/// <summary>
/// Unique ids without a random-number call per id: one random 80-bit prefix per generator, then a counter.
/// (A <see cref="Guid"/> per record costs microseconds where the OS random source is slow.)
/// </summary>
internal sealed class IdGenerator
{
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..20];
    private long _next;

    public string Next()
    {
        var n = Interlocked.Increment(ref _next);
        return string.Create(CultureInfo.InvariantCulture, $"{_prefix}{n:x12}");
    }
}
