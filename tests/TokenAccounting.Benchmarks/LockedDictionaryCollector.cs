
namespace TokenAccounting.Benchmarks;

/// <summary>
/// The seed gateway collector's shape: every record takes one lock, updates a rollup Dictionary keyed by
/// (model, provider, user, api key, operation, date) and appends to a capped detail List.
/// </summary>
public sealed class LockedDictionaryCollector(int cap)
{
    private readonly object _gate = new();
    private readonly Dictionary<(string, string?, string?, string?, string, DateOnly), long[]> _rollups = [];
    private readonly List<UsageRecord> _details = [];

    public void Record(UsageRecord record)
    {
        var completed = record.CompletedAt ?? DateTimeOffset.UtcNow;
        var key = (record.Model, record.Provider, record.UserId, record.ApiKeyId, record.Operation.Value, DateOnly.FromDateTime(completed.UtcDateTime));
        lock (_gate)
        {
            if (!_rollups.TryGetValue(key, out var sums))
            {
                sums = new long[3];
                _rollups.Add(key, sums);
            }

            sums[0] += record.Tokens.Input;
            sums[1] += record.Tokens.Output;
            sums[2]++;
            if (_details.Count >= cap)
            {
                _details.RemoveRange(0, cap / 10);
            }

            _details.Add(record);
        }
    }
}
