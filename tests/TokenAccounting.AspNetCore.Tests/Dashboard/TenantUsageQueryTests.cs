using System.Reflection;

namespace TokenAccounting.AspNetCore.Tests.Dashboard;

public sealed class TenantUsageQueryTests
{
    private static readonly DateTimeOffset From = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task QueryTotalsAsync_AnyQuery_PassesEveryFilterOnAndPinsTheTenant()
    {
        var query = new UsageQuery(From, From.AddDays(30));
        var settable = typeof(UsageQuery).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray();
        settable.ShouldNotBeEmpty();
        foreach (var property in settable.Where(p => p.Name != nameof(UsageQuery.TenantId)))
        {
            property.SetValue(query, NonDefault(property));
        }

        var inner = new CapturingQuery();
        await new TenantUsageQuery(inner, "acme").QueryTotalsAsync(query);

        var passed = inner.Queries.ShouldHaveSingleItem();
        passed.From.ShouldBe(query.From);
        passed.To.ShouldBe(query.To);
        passed.TenantId.ShouldBe("acme");
        foreach (var property in settable.Where(p => p.Name != nameof(UsageQuery.TenantId)))
        {
            // A filter added to UsageQuery later and not passed on would widen what a tenant's dashboard shows.
            Comparable(property.GetValue(passed)).ShouldBe(Comparable(property.GetValue(query)), $"TenantUsageQuery drops UsageQuery.{property.Name}");
        }
    }

    [Fact]
    public async Task QueryTotalsAsync_AnotherTenantAsked_AnswersNothingWithoutAskingTheLedger()
    {
        var inner = new CapturingQuery();
        var result = await new TenantUsageQuery(inner, "acme").QueryTotalsAsync(new UsageQuery(From, From.AddDays(1)) { TenantId = "globex" });

        result.Rows.ShouldBeEmpty();
        inner.Queries.ShouldBeEmpty();
    }

    private static object? Comparable(object? value) =>
        value is System.Collections.IEnumerable items and not string ? string.Join(",", items.Cast<object>()) : value;

    /// <summary>A value unlike the property's default, by type; a new property type must be added here.</summary>
    private static object NonDefault(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type == typeof(string))
        {
            return "value-of-" + property.Name;
        }

        if (type.IsEnum)
        {
            return Enum.GetValues(type).Cast<object>().Last();
        }

        if (type == typeof(UsageOperation))
        {
            return UsageOperation.Rerank;
        }

        if (type == typeof(int))
        {
            return 7;
        }

        if (type == typeof(IReadOnlyList<UsageDimension>))
        {
            return new[] { UsageDimension.Model, UsageDimension.User };
        }

        throw new InvalidOperationException($"Add a non-default value for UsageQuery.{property.Name} ({property.PropertyType}).");
    }

    private sealed class CapturingQuery : IUsageQuery
    {
        public List<UsageQuery> Queries { get; } = [];

        public ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
        {
            Queries.Add(query);
            return ValueTask.FromResult(UsageQueryResult.Create(query, [], UsageQuerySource.Rollups));
        }
    }
}
