using System.Globalization;
using System.Text;

namespace TokenAccounting.Testing;

/// <summary>
/// Assertions on recorded usage that need no assertion library: <c>recorder.ShouldHaveRecorded(calls: 2,
/// model: "gpt-4o", totalCost: 0.0031m)</c>. On a mismatch they throw <see cref="UsageAssertionException"/> with
/// every difference (expected and actual) and a listing of what was recorded, the matching records marked.
/// </summary>
/// <remarks>
/// The filter arguments (<c>model</c>, <c>operation</c>, <c>provider</c>, <c>userId</c>, <c>tenantId</c>,
/// <c>scopePath</c>) select records; the expectation arguments (<c>calls</c>, the token counts, <c>totalCost</c>)
/// are checked against the selected ones. Arguments left null are not checked; with no expectation at all, at least
/// one record must match. Comparisons are exact: tokens as integers, cost as <see cref="decimal"/> with no
/// tolerance or rounding (<c>0.0031m</c> and <c>0.00310m</c> are the same amount). <c>scopePath</c> selects the
/// records of that scope and of the scopes nested in it, as <see cref="UsageScope.Totals"/> counts them.
/// </remarks>
public static class UsageAssertions
{
    /// <summary>Asserts what <paramref name="recorder"/> recorded; see <see cref="UsageAssertions"/> for the arguments.</summary>
    /// <param name="recorder">The recorder.</param>
    /// <param name="calls">The expected number of matching records.</param>
    /// <param name="model">Selects records of this <see cref="UsageRecord.Model"/>.</param>
    /// <param name="operation">Selects records of this operation.</param>
    /// <param name="provider">Selects records of this provider.</param>
    /// <param name="userId">Selects records of this user (inherited from a scope or not).</param>
    /// <param name="tenantId">Selects records of this tenant (inherited from a scope or not).</param>
    /// <param name="scopePath">Selects records made in this scope or in one nested in it.</param>
    /// <param name="inputTokens">The expected sum of input tokens.</param>
    /// <param name="outputTokens">The expected sum of output tokens.</param>
    /// <param name="totalTokens">The expected sum of input and output tokens.</param>
    /// <param name="totalCost">The expected summed cost in US dollars; every matching record must be priced.</param>
    /// <returns>The matching records, in recorded order.</returns>
    /// <exception cref="UsageAssertionException">The recorded usage differs; the message says how.</exception>
    public static IReadOnlyList<UsageRecord> ShouldHaveRecorded(
        this FakeUsageRecorder recorder,
        int? calls = null,
        string? model = null,
        UsageOperation? operation = null,
        string? provider = null,
        string? userId = null,
        string? tenantId = null,
        string? scopePath = null,
        long? inputTokens = null,
        long? outputTokens = null,
        long? totalTokens = null,
        decimal? totalCost = null)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        return Check(nameof(ShouldHaveRecorded), recorder.Records, new(model, operation, provider, userId, tenantId, scopePath), calls, inputTokens, outputTokens, totalTokens, totalCost);
    }

    /// <summary>
    /// Asserts the detail records <paramref name="sink"/> received (flush the recorder first); see
    /// <see cref="UsageAssertions"/> for the arguments.
    /// </summary>
    /// <inheritdoc cref="ShouldHaveRecorded(FakeUsageRecorder, int?, string?, UsageOperation?, string?, string?, string?, string?, long?, long?, long?, decimal?)"/>
    public static IReadOnlyList<UsageRecord> ShouldHaveRecorded(
        this InMemoryUsageSink sink,
        int? calls = null,
        string? model = null,
        UsageOperation? operation = null,
        string? provider = null,
        string? userId = null,
        string? tenantId = null,
        string? scopePath = null,
        long? inputTokens = null,
        long? outputTokens = null,
        long? totalTokens = null,
        decimal? totalCost = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return Check(nameof(ShouldHaveRecorded), sink.Records, new(model, operation, provider, userId, tenantId, scopePath), calls, inputTokens, outputTokens, totalTokens, totalCost);
    }

    /// <summary>Asserts that <paramref name="recorder"/> recorded nothing.</summary>
    /// <param name="recorder">The recorder.</param>
    /// <exception cref="UsageAssertionException">Something was recorded; the message lists it.</exception>
    public static void ShouldHaveRecordedNothing(this FakeUsageRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var records = recorder.Records;
        if (records.Count != 0)
        {
            throw new UsageAssertionException(string.Create(
                CultureInfo.InvariantCulture,
                $"ShouldHaveRecordedNothing failed: {Plural(records.Count, "record")} recorded:\n{UsageRecordFormatter.Dump(records)}"));
        }
    }

    /// <summary>Asserts the usage attributed to <paramref name="scope"/> (its own and its nested scopes').</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="calls">The expected number of records.</param>
    /// <param name="inputTokens">The expected sum of input tokens.</param>
    /// <param name="outputTokens">The expected sum of output tokens.</param>
    /// <param name="totalTokens">The expected sum of input and output tokens.</param>
    /// <param name="totalCost">The expected summed cost of the priced records in US dollars.</param>
    /// <exception cref="UsageAssertionException">The scope's totals differ; the message says how.</exception>
    public static void ShouldHaveAttributed(
        this UsageScope scope,
        long? calls = null,
        long? inputTokens = null,
        long? outputTokens = null,
        long? totalTokens = null,
        decimal? totalCost = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var totals = scope.Totals;
        var differences = new List<string>();
        Compare(differences, "calls", calls, totals.RequestCount);
        Compare(differences, "input tokens", inputTokens, totals.Tokens.Input);
        Compare(differences, "output tokens", outputTokens, totals.Tokens.Output);
        Compare(differences, "total tokens", totalTokens, totals.Tokens.Total);
        if (totalCost is { } expectedCost && (totals.Cost?.Total ?? 0m) != expectedCost)
        {
            differences.Add(Difference("total cost", UsageRecordFormatter.Money(expectedCost), totals.Cost is { } c ? UsageRecordFormatter.Money(c.Total) : "unpriced"));
        }

        if (differences.Count > 0)
        {
            var message = new StringBuilder()
                .Append("ShouldHaveAttributed failed for scope \"").Append(scope.Path).Append("\":\n")
                .AppendJoin('\n', differences)
                .Append("\nAttributed:");
            foreach (var entry in totals.Entries)
            {
                message.Append("\n  ").Append(entry.Operation.ToString()).Append(' ').Append(entry.Model)
                    .Append(": ").Append(Plural(entry.RequestCount, "call"))
                    .Append(" in=").Append(UsageRecordFormatter.Number(entry.Tokens.Input))
                    .Append(" out=").Append(UsageRecordFormatter.Number(entry.Tokens.Output))
                    .Append(" cost=").Append(entry.Cost is { } cost ? UsageRecordFormatter.Money(cost.Total) : "unpriced");
            }

            if (totals.Entries.Count == 0)
            {
                message.Append(" nothing");
            }

            throw new UsageAssertionException(message.ToString());
        }
    }

    private static UsageRecord[] Check(
        string assertion, IReadOnlyList<UsageRecord> records, Filter filter, int? calls, long? inputTokens, long? outputTokens, long? totalTokens, decimal? totalCost)
    {
        var matching = records.Where(filter.Matches).ToArray();
        var differences = new List<string>();
        var tokens = TokenCounts.Zero;
        foreach (var record in matching)
        {
            tokens += record.Tokens;
        }

        if (calls is null && inputTokens is null && outputTokens is null && totalTokens is null && totalCost is null)
        {
            if (matching.Length == 0)
            {
                differences.Add(Difference("calls", "at least 1", "0"));
            }
        }
        else
        {
            Compare(differences, "calls", calls, matching.Length);
        }

        Compare(differences, "input tokens", inputTokens, tokens.Input);
        Compare(differences, "output tokens", outputTokens, tokens.Output);
        Compare(differences, "total tokens", totalTokens, tokens.Total);
        if (totalCost is { } expectedCost)
        {
            var cost = matching.Sum(static r => r.Cost?.Total ?? 0m);
            var unpriced = matching.Where(static r => r.Cost is null).ToArray();
            if (unpriced.Length > 0)
            {
                var models = string.Join(", ", unpriced.Select(static r => r.Model).Distinct(StringComparer.Ordinal));
                differences.Add(Difference(
                    "total cost",
                    UsageRecordFormatter.Money(expectedCost),
                    string.Create(CultureInfo.InvariantCulture, $"{UsageRecordFormatter.Money(cost)} priced plus {Plural(unpriced.Length, "unpriced record")} (no price for {models})")));
            }
            else if (cost != expectedCost)
            {
                differences.Add(Difference("total cost", UsageRecordFormatter.Money(expectedCost), UsageRecordFormatter.Money(cost)));
            }
        }

        if (differences.Count > 0)
        {
            var message = new StringBuilder()
                .Append(assertion).Append(" failed for ").Append(filter.Describe())
                .Append(string.Create(CultureInfo.InvariantCulture, $" ({matching.Length} of {Plural(records.Count, "record")} match):\n"))
                .AppendJoin('\n', differences)
                .Append("\nRecorded").Append(filter.IsEmpty || records.Count == 0 ? ":\n" : " (* = matches):\n")
                .Append(UsageRecordFormatter.Dump(records, filter.IsEmpty ? null : filter.Matches));
            throw new UsageAssertionException(message.ToString());
        }

        return matching;
    }

    private static void Compare(List<string> differences, string name, long? expected, long actual)
    {
        if (expected is { } value && value != actual)
        {
            differences.Add(Difference(name, UsageRecordFormatter.Number(value), UsageRecordFormatter.Number(actual)));
        }
    }

    private static string Difference(string name, string expected, string actual) =>
        string.Create(CultureInfo.InvariantCulture, $"  {name + ":",-15} expected {expected}, but was {actual}");

    private static string Plural(long count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    private readonly record struct Filter(string? Model, UsageOperation? Operation, string? Provider, string? UserId, string? TenantId, string? ScopePath)
    {
        public bool IsEmpty => Model is null && Operation is null && Provider is null && UserId is null && TenantId is null && ScopePath is null;

        public bool Matches(UsageRecord record) =>
            (Model is null || string.Equals(record.Model, Model, StringComparison.Ordinal))
            && (Operation is null || record.Operation == Operation.Value)
            && (Provider is null || string.Equals(record.Provider, Provider, StringComparison.Ordinal))
            && (UserId is null || string.Equals(record.UserId, UserId, StringComparison.Ordinal))
            && (TenantId is null || string.Equals(record.TenantId, TenantId, StringComparison.Ordinal))
            && (ScopePath is null || UsageRecordFormatter.IsInScope(record, ScopePath));

        public string Describe()
        {
            if (IsEmpty)
            {
                return "all records";
            }

            var parts = new List<string>();
            Add(parts, "model", Model);
            Add(parts, "operation", Operation?.ToString());
            Add(parts, "provider", Provider);
            Add(parts, "user", UserId);
            Add(parts, "tenant", TenantId);
            Add(parts, "scope", ScopePath);
            return "records where " + string.Join(" and ", parts);
        }

        private static void Add(List<string> parts, string name, string? value)
        {
            if (value is not null)
            {
                parts.Add(name + " = \"" + value + "\"");
            }
        }
    }
}
