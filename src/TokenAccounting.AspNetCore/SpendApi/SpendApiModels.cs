using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenAccounting.AspNetCore;

internal sealed record TotalsResponse(
    DateTimeOffset From,
    DateTimeOffset To,
    string Source,
    IReadOnlyList<string> GroupBy,
    string? TenantId,
    long? PendingRecords,
    IReadOnlyList<TotalsRow> Rows);

internal sealed record TotalsRow(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Date,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Model,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Operation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TenantId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApiKeyId,
    TokensDto Tokens,
    long RequestCount,
    decimal? Cost,
    long UnpricedRequestCount);

internal sealed record TokensDto(long Input, long Output, long CachedInput, long CacheWriteInput, long Reasoning, long Total);

internal sealed record BudgetsResponse(SubjectDto Subject, DateTimeOffset At, IReadOnlyList<BudgetStateDto> Policies);

internal sealed record SubjectDto(string? UserId, string? TenantId, string? ApiKeyId);

internal sealed record BudgetStateDto(
    string Name,
    string Dimension,
    string Unit,
    string Window,
    string Enforcement,
    bool Applies,
    decimal Limit,
    decimal? Used,
    decimal? Remaining,
    double? WarningThreshold,
    DateTimeOffset? WindowStart,
    DateTimeOffset? WindowEnd);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TotalsResponse))]
[JsonSerializable(typeof(BudgetsResponse))]
internal sealed partial class SpendApiJsonContext : JsonSerializerContext;
