using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// The dashboard's query: <c>from</c> and <c>to</c> (UTC days, <c>yyyy-MM-dd</c>, both included) and <c>groupBy</c>
/// (dimensions separated by commas, as in the spend API). Nothing else is read from the URL.
/// </summary>
internal sealed record DashboardRequest(DateOnly From, DateOnly To, IReadOnlyList<UsageDimension> GroupBy)
{
    public static readonly IReadOnlyDictionary<string, UsageDimension> Dimensions = new Dictionary<string, UsageDimension>(StringComparer.OrdinalIgnoreCase)
    {
        ["date"] = UsageDimension.Date,
        ["model"] = UsageDimension.Model,
        ["provider"] = UsageDimension.Provider,
        ["operation"] = UsageDimension.Operation,
        ["user"] = UsageDimension.User,
        ["tenant"] = UsageDimension.Tenant,
        ["apiKey"] = UsageDimension.ApiKey,
    };

    /// <summary>Gets the query's <c>groupBy</c> value as the page writes it (canonical names, comma separated).</summary>
    public string GroupByText => string.Join(',', GroupBy.Select(Name));

    /// <summary>Gets the inclusive start of the range: midnight UTC of <see cref="From"/>.</summary>
    public DateTimeOffset RangeStart => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Gets the exclusive end of the range: midnight UTC after <see cref="To"/> (day-aligned, so SQL ledgers answer from rollups).</summary>
    public DateTimeOffset RangeEnd => new(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public static string Name(UsageDimension dimension) => Dimensions.First(p => p.Value == dimension).Key;

    public static DashboardRequest? Parse(IQueryCollection query, DateTimeOffset now, TokenAccountingDashboardOptions options, Dictionary<string, string> errors)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var from = Date(query, "from", errors);
        var to = Date(query, "to", errors);
        if (errors.Count > 0)
        {
            return null;
        }

        (from, to) = (from, to) switch
        {
            (null, null) => (today.AddDays(1 - options.DefaultDays), today),
            (null, { } end) => (end.DayNumber - DateOnly.MinValue.DayNumber >= options.DefaultDays - 1 ? end.AddDays(1 - options.DefaultDays) : DateOnly.MinValue, end),
            ({ } start, null) => (start, start > today ? start : today),
            _ => (from, to),
        };

        if (to < from)
        {
            errors["to"] = $"'to' ({Text(to!.Value)}) is before 'from' ({Text(from!.Value)}).";
        }
        else if (to!.Value == DateOnly.MaxValue)
        {
            errors["to"] = $"'to' ({Text(to.Value)}) is the last representable day; the range ends the day after it.";
        }
        else if (to.Value.DayNumber - from!.Value.DayNumber + 1 > options.MaxDays)
        {
            errors["to"] = $"The range from {Text(from.Value)} to {Text(to.Value)} is {to.Value.DayNumber - from.Value.DayNumber + 1} days; this dashboard shows at most {options.MaxDays} (TokenAccountingDashboardOptions.MaxDays).";
        }

        var groupBy = new List<UsageDimension>();
        if (query.TryGetValue("groupBy", out var values))
        {
            if (values.Count > 1)
            {
                errors["groupBy"] = $"'groupBy' is given {values.Count} times; give it once, with dimensions separated by commas.";
            }
            else
            {
                foreach (var part in (values[0] ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!Dimensions.TryGetValue(part, out var dimension))
                    {
                        errors["groupBy"] = $"'{part}' is not a dimension; use one or more of {string.Join(", ", Dimensions.Keys)}, separated by commas.";
                        break;
                    }

                    if (groupBy.Contains(dimension))
                    {
                        errors["groupBy"] = $"'{part}' appears twice in 'groupBy'.";
                        break;
                    }

                    groupBy.Add(dimension);
                }
            }
        }

        return errors.Count > 0 ? null : new DashboardRequest(from!.Value, to!.Value, groupBy);
    }

    public static string Text(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly? Date(IQueryCollection query, string name, Dictionary<string, string> errors)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            errors[name] = $"'{name}' is given {values.Count} times; give it once.";
            return null;
        }

        if (string.IsNullOrEmpty(values[0]))
        {
            return null; // an emptied date field means "the default"
        }

        if (DateOnly.TryParseExact(values[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        errors[name] = $"'{values[0]}' is not a UTC day written yyyy-MM-dd (for example 2026-12-01).";
        return null;
    }
}
